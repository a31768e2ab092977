namespace ReNESENS.DataPlane.Tests.Kernels;

/// <summary>
/// The AES-256 test cases (13 to 18) of McGrew and Viega, "The Galois/Counter Mode of Operation
/// (GCM)", the document NIST SP 800-38D builds on; transcribed (data, not code) from OpenSSL's
/// test/recipes/30-test_evp_data/evpciph_aes_common.txt ("Cipher = aes-256-gcm" entries after the
/// AES-192 ones). Cases 17 and 18 use a 64-bit and a 480-bit IV: AesGcmCipher accepts only the
/// 96-bit nonce, so they are kept to check that other sizes are refused.
/// </summary>
internal static class GcmVectors
{
    internal const string SpecKey = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    internal const string SpecAad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    internal const string SpecPlain64 =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    internal const string SpecPlain60 =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";

    /// <summary>(case, key, nonce, plaintext, aad, ciphertext, tag) with 96-bit nonces.</summary>
    internal static readonly (int Case, string Key, string Nonce, string Plaintext, string Aad, string Ciphertext, string Tag)[] Cases =
    [
        (13, new string('0', 64), "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"),
        (14, new string('0', 64), "000000000000000000000000", "00000000000000000000000000000000", "",
            "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"),
        (15, SpecKey, "cafebabefacedbaddecaf888", SpecPlain64, "",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
            "b094dac5d93471bdec1a502270e3cc6c"),
        (16, SpecKey, "cafebabefacedbaddecaf888", SpecPlain60, SpecAad,
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b"),
    ];

    /// <summary>Case 17's 64-bit IV and case 18's 480-bit IV (tags 3a337dbf... and a44a8266... in the source).</summary>
    internal static readonly string[] NonStandardNonces =
    [
        "cafebabefacedbad",
        "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
    ];
}
