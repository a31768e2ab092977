using System.Buffers.Binary;
using System.Net;
using System.Numerics;
using System.Net.Sockets;
using System.Text;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>Builds the data structures of Identify and Get Log Page at the byte offsets of NVMe base 2.0 and NVMe-oF 1.1.</summary>
internal static class AdminPages
{
    /// <summary>Size of an Identify data structure.</summary>
    public const int IdentifySize = 4096;

    /// <summary>Size of the discovery log page header and of each entry.</summary>
    public const int DiscoveryRecordSize = 1024;

    /// <summary>Identify Controller (CNS 01h).</summary>
    public static void IdentifyController(Span<byte> page, NvmeController controller, NvmeTcpTargetOptions options)
    {
        page.Clear();
        NvmeSubsystem subsystem = controller.Subsystem;
        Ascii(page.Slice(4, 20), subsystem.SerialNumber);
        Ascii(page.Slice(24, 40), subsystem.ModelNumber);
        Ascii(page.Slice(64, 8), "0.1.0");
        page[72] = 6;                                                   // RAB
        page[77] = (byte)(BitOperations.Log2((uint)options.MaxDataTransferSize) - 12); // MDTS in 4 KiB units (CAP.MPSMIN = 0)
        BinaryPrimitives.WriteUInt16LittleEndian(page[78..], controller.Id);
        BinaryPrimitives.WriteUInt32LittleEndian(page[80..], 0x00020000); // VER 2.0
        BinaryPrimitives.WriteUInt32LittleEndian(page[92..], subsystem.IsDiscovery ? NvmeController.AecDiscoveryLogChange : NvmeController.AecNamespaceAttribute); // OAES: discovery log change / namespace attribute notices
        page[111] = subsystem.IsDiscovery ? (byte)2 : (byte)1;          // CNTRLTYPE
        page[259] = NvmeController.MaxAsyncEvents - 1;                   // AERL
        page[261] = 0x04;                                                // LPA: extended data (NUMDU, LPO)
        BinaryPrimitives.WriteUInt16LittleEndian(page[320..], 1);        // KAS: 100 ms granularity
        if (!subsystem.IsDiscovery)
        {
            page[512] = 0x66;                                            // SQES
            page[513] = 0x44;                                            // CQES
            BinaryPrimitives.WriteUInt16LittleEndian(page[514..], (ushort)options.MaxQueueDepth); // MAXCMD
            BinaryPrimitives.WriteUInt32LittleEndian(page[516..], subsystem.MaxNamespaceId);     // NN
            BinaryPrimitives.WriteUInt16LittleEndian(page[520..], 0x0C);  // ONCS: Dataset Management, Write Zeroes
            page[525] = 0x07;                                            // VWC present, Flush with NSID FFFFFFFFh supported
            BinaryPrimitives.WriteUInt32LittleEndian(page[540..], subsystem.MaxNamespaceId);     // MNAN
        }

        BinaryPrimitives.WriteUInt32LittleEndian(page[536..], 1u | (1u << 20)); // SGLS: SGLs, address as offset
        Ascii(page.Slice(768, 256), subsystem.Nqn, pad: 0);
        BinaryPrimitives.WriteUInt32LittleEndian(page[1792..], (uint)((SubmissionQueueEntry.Size + options.InCapsuleDataSize) / 16)); // IOCCSZ
        BinaryPrimitives.WriteUInt32LittleEndian(page[1796..], CompletionQueueEntry.Size / 16); // IORCSZ
        page[1803] = 1;                                                  // MSDBD
    }

    /// <summary>Identify Namespace (CNS 00h).</summary>
    public static void IdentifyNamespace(Span<byte> page, NvmeNamespace ns)
    {
        page.Clear();
        BinaryPrimitives.WriteInt64LittleEndian(page, ns.BlockCount);          // NSZE
        BinaryPrimitives.WriteInt64LittleEndian(page[8..], ns.BlockCount);     // NCAP
        BinaryPrimitives.WriteInt64LittleEndian(page[16..], ns.BlockCount);    // NUSE
        page[24] = 0;                                                          // NSFEAT
        page[25] = 0;                                                          // NLBAF (0's based): one format
        page[26] = 0;                                                          // FLBAS: format 0
        page[33] = 0x09;                                                       // DLFEAT: deallocated reads zero, Write Zeroes may deallocate
        ns.Uuid.TryWriteBytes(page.Slice(104, 16), bigEndian: true, out _);    // NGUID
        BinaryPrimitives.WriteUInt32LittleEndian(page[128..], (uint)ns.BlockShift << 16); // LBAF0: LBADS
    }

    /// <summary>Active Namespace ID list (CNS 02h): NSIDs greater than <paramref name="after"/>.</summary>
    public static void ActiveNamespaces(Span<byte> page, NvmeSubsystem subsystem, uint after)
    {
        page.Clear();
        int i = 0;
        foreach (NvmeNamespace ns in subsystem.Namespaces)
        {
            if (ns.NamespaceId > after && i < 1024)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(page[(i++ * 4)..], ns.NamespaceId);
            }
        }
    }

    /// <summary>Namespace Identification Descriptor list (CNS 03h): NGUID, UUID and CSI.</summary>
    public static void NamespaceDescriptors(Span<byte> page, NvmeNamespace ns)
    {
        page.Clear();
        page[0] = 2;                                                    // NIDT NGUID
        page[1] = 16;
        ns.Uuid.TryWriteBytes(page.Slice(4, 16), bigEndian: true, out _);
        page[20] = 3;                                                   // NIDT UUID
        page[21] = 16;
        ns.Uuid.TryWriteBytes(page.Slice(24, 16), bigEndian: true, out _);
        page[40] = 4;                                                   // NIDT CSI
        page[41] = 1;
        page[44] = 0;                                                   // NVM command set
    }

    /// <summary>SMART / Health Information (LID 02h), 512 bytes.</summary>
    public static byte[] Smart(NvmeSubsystem subsystem)
    {
        byte[] page = new byte[512];
        BinaryPrimitives.WriteUInt16LittleEndian(page.AsSpan(1), 273 + 25); // composite temperature, kelvin
        page[3] = 100;                                                       // available spare
        page[4] = 10;                                                        // threshold
        WriteUInt128(page.AsSpan(32), (ulong)(Volatile.Read(ref subsystem.BytesRead) / 512_000));
        WriteUInt128(page.AsSpan(48), (ulong)(Volatile.Read(ref subsystem.BytesWritten) / 512_000));
        WriteUInt128(page.AsSpan(64), (ulong)Volatile.Read(ref subsystem.ReadCommands));
        WriteUInt128(page.AsSpan(80), (ulong)Volatile.Read(ref subsystem.WriteCommands));
        return page;
    }

    /// <summary>
    /// The discovery log page (LID 70h): a header and one entry per subsystem the host may connect to and per
    /// listener (NVM subsystem port) it is reachable through, each with that port's PORTID, TRADDR and TRSVCID.
    /// </summary>
    public static byte[] Discovery(NvmeTargetCore core, string hostNqn)
    {
        var subsystems = new List<NvmeSubsystem>();
        long generation;
        NvmeListenerInfo[] listeners;
        lock (core.ChangeLock)
        {
            // GENCTR, subsystems and listeners from one consistent state.
            generation = core.DiscoveryGeneration;
            listeners = core.Listeners;
            foreach (NvmeSubsystem subsystem in core.Subsystems)
            {
                if (subsystem.IsHostAllowed(hostNqn))
                {
                    subsystems.Add(subsystem);
                }
            }
        }

        int records = subsystems.Count * listeners.Length;
        byte[] page = new byte[DiscoveryRecordSize * (1 + records)];
        BinaryPrimitives.WriteInt64LittleEndian(page, generation);                 // GENCTR
        BinaryPrimitives.WriteInt64LittleEndian(page.AsSpan(8), records);          // NUMREC
        BinaryPrimitives.WriteUInt16LittleEndian(page.AsSpan(16), 0);              // RECFMT
        int index = 1;
        foreach (NvmeSubsystem subsystem in subsystems)
        {
            foreach (NvmeListenerInfo listener in listeners)
            {
                DiscoveryEntry(page.AsSpan(DiscoveryRecordSize * index++, DiscoveryRecordSize), subsystem, listener, core.Options.MaxQueueDepth);
            }
        }

        return page;
    }

    /// <summary>One discovery log page entry (NVMe-oF 1.1, figure 33; TCP TSAS, NVMe/TCP 1.0 section 3.6.1).</summary>
    public static void DiscoveryEntry(Span<byte> entry, NvmeSubsystem subsystem, NvmeListenerInfo listener, int maxQueueDepth)
    {
        IPEndPoint endPoint = listener.EndPoint;
        entry.Clear();
        entry[0] = 3;                                                               // TRTYPE TCP
        entry[1] = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? (byte)2 : (byte)1; // ADRFAM IPv4 / IPv6
        entry[2] = 2;                                                               // SUBTYPE NVM subsystem
        entry[3] = 0x02;                                                            // TREQ: secure channel not required
        BinaryPrimitives.WriteUInt16LittleEndian(entry[4..], listener.PortId);      // PORTID
        BinaryPrimitives.WriteUInt16LittleEndian(entry[6..], 0xFFFF);               // CNTLID: dynamic
        BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], (ushort)maxQueueDepth); // ASQSZ
        Ascii(entry.Slice(32, 32), endPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)); // TRSVCID
        Ascii(entry.Slice(256, 256), subsystem.Nqn, pad: 0);                        // SUBNQN
        Ascii(entry.Slice(512, 256), endPoint.Address.ToString());                  // TRADDR
        entry[768] = 0;                                                             // TSAS: SECTYPE none
    }

    /// <summary>ASCII text, padded with spaces (identify strings, TRSVCID, TRADDR) or NULs (NQNs).</summary>
    private static void Ascii(Span<byte> field, string text, byte pad = 0x20)
    {
        field.Fill(pad);
        int n = Math.Min(field.Length - (pad == 0 ? 1 : 0), text.Length);
        Encoding.ASCII.GetBytes(text.AsSpan(0, n), field);
    }

    private static void WriteUInt128(Span<byte> field, ulong low)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(field, low);
        BinaryPrimitives.WriteUInt64LittleEndian(field[8..], 0);
    }
}
