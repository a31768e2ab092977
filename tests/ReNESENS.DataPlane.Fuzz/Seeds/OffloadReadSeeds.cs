using System.Buffers.Binary;
using System.Text;
using ReNESENS.DataPlane.Fuzz.Targets;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Fuzz.Seeds;

/// <summary>
/// Valid starting inputs for <see cref="OffloadReadTarget"/>: what the software engine's write
/// chain stores for a few layouts and step sets, with the key the target loads.
/// </summary>
internal static class OffloadReadSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> Create()
    {
        (string Name, byte B0, byte B1)[] layouts =
        [
            ("all-crc16-512x2", 0x40 | 7, 0xE0 | 1),
            ("all-crc64-4096", 0x40 | 8 | 7, 0xE0 | 4),
            ("all-interleaved-crc64-512x4-md64", 0x80 | 16 | 8 | 7, 0xE0 | 0x18 | 3),
            ("pi-xts-crc16-512x3-pifirst", 0x40 | 32 | 5, 0xE0 | 0x08 | 2),
            ("pi-lz4-type3-512", 0xC0 | 3, 0xE0),
            ("lz4-xts-512x2", 0x40 | 6, 1),
        ];
        byte[] words = Encoding.ASCII.GetBytes("a block of a namespace, written through the offload engine. ");
        using var engine = new SoftwareEngine(new OffloadEngineOptions { MaxDataSize = OffloadReadTarget.RegionSize });
        using IOffloadQueuePair qp = engine.CreateQueuePair(1);
        using DmaRegion region = DmaRegion.Create(1 << 20, PageKind.Small, lockMemory: false);
        OffloadKey key = engine.LoadKey(OffloadKeyKind.AesXts256, OffloadReadTarget.XtsKey);
        foreach ((string name, byte b0, byte b1) in layouts)
        {
            (OffloadChainSteps steps, ProtectionInformationFormat format, int blocks, _) = OffloadReadTarget.Layout(b0, b1);
            int dataLength = blocks * format.DataStride;
            int mdLength = format.Interleaved ? 0 : blocks * format.MetadataSize;
            var data = new DmaSlice(region, 0, dataLength);
            for (int i = 0; i < dataLength; i++)
            {
                data.Span[i] = words[i % words.Length];
            }

            DmaSlice md = mdLength == 0 ? default : new DmaSlice(region, 256 * 1024, mdLength);
            var stored = new DmaSlice(region, 512 * 1024, Lz4Block.MaxCompressedLength(dataLength) + 16);
            OffloadOp[] write = [OffloadOp.Write(steps, key, data, md, stored, 0, format, default, 0)];
            var done = new OffloadCompletion[1];
            qp.Submit(write);
            qp.Poll(done);
            if (!done[0].IsSuccess)
            {
                throw new InvalidOperationException($"seed {name}: {done[0].Status}");
            }

            byte[] seed = new byte[4 + mdLength + done[0].BytesProduced];
            seed[0] = b0;
            seed[1] = b1;
            BinaryPrimitives.WriteUInt16LittleEndian(seed.AsSpan(2), (steps & OffloadChainSteps.Compression) != 0 ? (ushort)done[0].Value : (ushort)0);
            md.Span.CopyTo(seed.AsSpan(4));
            stored.Span[..done[0].BytesProduced].CopyTo(seed.AsSpan(4 + mdLength));
            yield return (name, seed);
        }
    }
}
