namespace ReNESENS.DataPlane.Tests.Kernels;

/// <summary>
/// Known-answer vectors for XTS-AES-256, transcribed (data, not code) from:
/// <list type="bullet">
/// <item>IEEE Std 1619-2007, Annex B, Vectors 10 to 14 (XTS-AES-256, 512-byte data units), as carried in
/// OpenSSL's test/recipes/30-test_evp_data/evpciph_aes_common.txt ("AES XTS test vectors from IEEE Std
/// 1619-2007", Cipher = aes-256-xts) and, identically, Botan's src/tests/data/modes/xts.vec
/// ("IEEE 1619-2007 VECTOR 10" ... "VECTOR 14").</item>
/// <item>Two AES-256 ciphertext-stealing cases from the same OpenSSL file ("Exercise different lengths
/// covering even ciphertext stealing cases", key of Vector 10, IV 0, 98 and 114 bytes). These are
/// OpenSSL's own vectors, not IEEE's: IEEE 1619's stealing vectors (15 to 18) are XTS-AES-128 only.</item>
/// </list>
/// The IV in those files is the 16-byte tweak, i.e. the data-unit number little-endian: "ff00..00" is LBA 0xff.
/// </summary>
internal static class XtsVectors
{
    internal const string Vector10To14Key =
        "2718281828459045235360287471352662497757247093699959574966967627" +
        "3141592653589793238462643383279502884197169399375105820974944592";

    /// <summary>Vectors 10 to 14 share this plaintext: bytes 00..ff twice.</summary>
    internal static byte[] Vector10To14Plaintext()
    {
        var plain = new byte[512];
        for (int i = 0; i < plain.Length; i++)
        {
            plain[i] = (byte)i;
        }

        return plain;
    }

    /// <summary>(vector number, LBA, ciphertext hex) for IEEE 1619-2007 Vectors 10 to 14.</summary>
    internal static readonly (int Number, ulong Lba, string Ciphertext)[] Ieee =
    [
        (10, 0xff,
            "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd" +
            "5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca" +
            "2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a" +
            "0f93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a" +
            "020a84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71" +
            "c5edae9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4" +
            "ae74ffac6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed537644" +
            "1a77ed43851ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6" +
            "e693e148c151"),
        (11, 0xffff,
            "77a31251618a15e6b92d1d66dffe7b50b50bad552305ba0217a610688eff7e11e1d0225438e093242d6db274fde801d4cae06f2092c728b2478559df58e837c2" +
            "469ee4a4fa794e4bbc7f39bc026e3cb72c33b0888f25b4acf56a2a9804f1ce6d3d6e1dc6ca181d4b546179d55544aa7760c40d06741539c7e3cd9d2f6650b2" +
            "013fd0eeb8c2b8e3d8d240ccae2d4c98320a7442e1c8d75a42d6e6cfa4c2eca1798d158c7aecdf82490f24bb9b38e108bcda12c3faf9a21141c3613b58367f" +
            "922aaa26cd22f23d708dae699ad7cb40a8ad0b6e2784973dcb605684c08b8d6998c69aac049921871ebb65301a4619ca80ecb485a31d744223ce8ddc239482" +
            "8d6a80470c092f5ba413c3378fa6054255c6f9df4495862bbb3287681f931b687c888abf844dfc8fc28331e579928cd12bd2390ae123cf03818d14dedde5c0" +
            "c24c8ab018bfca75ca096f2d531f3d1619e785f1ada437cab92e980558b3dce1474afb75bfedbf8ff54cb2618e0244c9ac0d3c66fb51598cd2db11f9be3979" +
            "1abe447c63094f7c453b7ff87cb5bb36b7c79efb0872d17058b83b15ab0866ad8a58656c5a7e20dbdf308b2461d97c0ec0024a2715055249cf3b478ddd4740" +
            "de654f75ca686e0d7345c69ed50cdc2a8b332b1f8824108ac937eb050585608ee734097fc09054fbff89eeaeea791f4a7ab1f9868294a4f9e27b42af8100cb" +
            "9d59cef9645803"),
        (12, 0xffffff,
            "e387aaa58ba483afa7e8eb469778317ecf4cf573aa9d4eac23f2cdf914e4e200a8b490e42ee646802dc6ee2b471b278195d60918ececb44bf79966f83faba049" +
            "9298ebc699c0c8634715a320bb4f075d622e74c8c932004f25b41e361025b5a87815391f6108fc4afa6a05d9303c6ba68a128a55705d415985832fdeaae6c8" +
            "e19110e84d1b1f199a2692119edc96132658f09da7c623efcec712537a3d94c0bf5d7e352ec94ae5797fdb377dc1551150721adf15bd26a8efc2fcaad56881" +
            "fa9e62462c28f30ae1ceaca93c345cf243b73f542e2074a705bd2643bb9f7cc79bb6e7091ea6e232df0f9ad0d6cf502327876d82207abf2115cdacf6d5a48f" +
            "6c1879a65b115f0f8b3cb3c59d15dd8c769bc014795a1837f3901b5845eb491adfefe097b1fa30a12fc1f65ba22905031539971a10f2f36c321bb51331cdef" +
            "b39e3964c7ef079994f5b69b2edd83a71ef549971ee93f44eac3938fcdd61d01fa71799da3a8091c4c48aa9ed263ff0749df95d44fef6a0bb578ec69456aa5" +
            "408ae32c7af08ad7ba8921287e3bbee31b767be06a0e705c864a769137df28292283ea81a2480241b44d9921cdbec1bc28dc1fda114bd8e5217ac9d8ebafa7" +
            "20e9da4f9ace231cc949e5b96fe76ffc21063fddc83a6b8679c00d35e09576a875305bed5f36ed242c8900dd1fa965bc950dfce09b132263a1eef52dd6888c" +
            "309f5a7d712826"),
        (13, 0xffffffff,
            "bf53d2dade78e822a4d949a9bc6766b01b06a8ef70d26748c6a7fc36d80ae4c5520f7c4ab0ac8544424fa405162fef5a6b7f229498063618d39f0003cb5fb8d1" +
            "c86b643497da1ff945c8d3bedeca4f479702a7a735f043ddb1d6aaade3c4a0ac7ca7f3fa5279bef56f82cd7a2f38672e824814e10700300a055e1630b8f1cb" +
            "0e919f5e942010a416e2bf48cb46993d3cb6a51c19bacf864785a00bc2ecff15d350875b246ed53e68be6f55bd7e05cfc2b2ed6432198a6444b6d8c247fab9" +
            "41f569768b5c429366f1d3f00f0345b96123d56204c01c63b22ce78baf116e525ed90fdea39fa469494d3866c31e05f295ff21fea8d4e6e13d67e47ce722e9" +
            "698a1c1048d68ebcde76b86fcf976eab8aa9790268b7068e017a8b9b749409514f1053027fd16c3786ea1bac5f15cb79711ee2abe82f5cf8b13ae73030ef5b" +
            "9e4457e75d1304f988d62dd6fc4b94ed38ba831da4b7634971b6cd8ec325d9c61c00f1df73627ed3745a5e8489f3a95c69639c32cd6e1d537a85f75cc84472" +
            "6e8a72fc0077ad22000f1d5078f6b866318c668f1ad03d5a5fced5219f2eabbd0aa5c0f460d183f04404a0d6f469558e81fab24a167905ab4c7878502ad3e3" +
            "8fdbe62a41556cec37325759533ce8f25f367c87bb5578d667ae93f9e2fd99bcbc5f2fbba88cf6516139420fcff3b7361d86322c4bd84c82f335abb152c4a9" +
            "3411373aaa8220"),
        (14, 0xffffffffff,
            "64497e5a831e4a932c09be3e5393376daa599548b816031d224bbf50a818ed2350eae7e96087c8a0db51ad290bd00c1ac1620857635bf246c176ab463be30b80" +
            "8da548081ac847b158e1264be25bb0910bbc92647108089415d45fab1b3d2604e8a8eff1ae4020cfa39936b66827b23f371b92200be90251e6d73c5f86de5f" +
            "d4a950781933d79a28272b782a2ec313efdfcc0628f43d744c2dc2ff3dcb66999b50c7ca895b0c64791eeaa5f29499fb1c026f84ce5b5c72ba1083cddb5ce4" +
            "5434631665c333b60b11593fb253c5179a2c8db813782a004856a1653011e93fb6d876c18366dd8683f53412c0c180f9c848592d593f8609ca736317d356e1" +
            "3e2bff3a9f59cd9aeb19cd482593d8c46128bb32423b37a9adfb482b99453fbe25a41bf6feb4aa0bef5ed24bf73c762978025482c13115e4015aac992e5613" +
            "a3b5c2f685b84795cb6e9b2656d8c88157e52c42f978d8634c43d06fea928f2822e465aa6576e9bf419384506cc3ce3c54ac1a6f67dc66f3b30191e698380b" +
            "c999b05abce19dc0c6dcc2dd001ec535ba18deb2df1a101023108318c75dc98611a09dc48a0acdec676fabdf222f07e026f059b672b56e5cbc8e1d21bbd867" +
            "dd927212054681d70ea737134cdfce93b6f82ae22423274e58a0821cc5502e2d0ab4585e94de6975be5e0b4efce51cd3e70c25a1fbbbd609d273ad5b0d5963" +
            "1c531f6a0a57b9"),
    ];

    /// <summary>(data-unit length, ciphertext hex): OpenSSL's AES-256 stealing cases, Vector 10's key, LBA 0, plaintext 00 01 02 ...</summary>
    internal static readonly (int Length, string Ciphertext)[] OpenSslStealing =
    [
        (98,
            "3a060a8cad115a6f44572e3759e43c8fcad8bfcb233ff6ad71b7c1e7ca651508860aed34ec9506d368aa50274a31c16d2deae4d64c2a8096091c093f3820fb6d" +
            "21089bcedaac361e3febe706cafe14b9bc89de34258d32ec3ad59fd2986a401e6bff"),
        (114,
            "3a060a8cad115a6f44572e3759e43c8fcad8bfcb233ff6ad71b7c1e7ca651508860aed34ec9506d368aa50274a31c16d2deae4d64c2a8096091c093f3820fb6d" +
            "21089bcedaac361e3febe706cafe14b96bffbd29ff8fb716d4ed8fb39ccfb6671ae1fd167248af55dc14646bd7e2e8c3a6b9"),
    ];

    /// <summary>(data-unit length, ciphertext hex): the same OpenSSL section's whole-block cases (96 and 112 bytes).</summary>
    internal static readonly (int Length, string Ciphertext)[] OpenSslWhole =
    [
        (96,
            "3a060a8cad115a6f44572e3759e43c8fcad8bfcb233ff6ad71b7c1e7ca651508860aed34ec9506d368aa50274a31c16d2deae4d64c2a8096091c093f3820fb6d" +
            "21089bcedaac361e3febe706cafe14b96bffbd29ff8fb716d4ed8fb39ccfb667"),
        (112,
            "3a060a8cad115a6f44572e3759e43c8fcad8bfcb233ff6ad71b7c1e7ca651508860aed34ec9506d368aa50274a31c16d2deae4d64c2a8096091c093f3820fb6d" +
            "21089bcedaac361e3febe706cafe14b96bffbd29ff8fb716d4ed8fb39ccfb667a6b985d89b9c862780185c839f60307a"),
    ];
}
