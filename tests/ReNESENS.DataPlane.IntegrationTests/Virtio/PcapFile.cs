using System.Buffers.Binary;

namespace ReNESENS.DataPlane.IntegrationTests.Virtio;

/// <summary>Writes frames to a classic pcap file (little-endian, microseconds, Ethernet) for tshark.</summary>
internal static class PcapFile
{
    internal static void Write(string path, IEnumerable<byte[]> frames)
    {
        using FileStream f = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 262144);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        f.Write(header);
        uint second = 1;
        Span<byte> record = stackalloc byte[16];
        foreach (byte[] frame in frames)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, second++);
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            f.Write(record);
            f.Write(frame);
        }
    }
}
