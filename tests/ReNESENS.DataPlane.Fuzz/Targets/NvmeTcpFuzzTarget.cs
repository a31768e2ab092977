using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>nvmetcp</c>: a byte stream from a host, fed to the target's session (the PDU
/// parser, the R2T/H2CData state and every command handler) without a socket.
/// </summary>
/// <remarks>
/// <para>Byte 0 bits 1:0 pick how the stream is cut into reads (1, 7, 64 or 4096 bytes at a
/// time), so PDUs split at every boundary are exercised; bit 2 set first runs a fixed admin
/// stream (ICReq, Connect, CC.EN, Number of Queues) on another session, so the input can connect
/// an I/O queue to controller 1 and reach the NVM commands; bit 3 set changes the namespaces while the stream runs
/// (a third of the way in NSID 2 is attached and NSID 1 shrunk to half, two thirds in NSID 2 is detached, and at the
/// end NSID 1 grows back), so that asynchronous event notices, the Changed Namespace List and commands on a namespace
/// that went away are reached. The rest is the stream.</para>
/// <para>Checked: no exception escapes; every PDU the target writes is well formed for a host
/// (type, HLEN, PDO, PLEN, digests as negotiated) and a C2HTermReq is the last thing written;
/// once the session is disposed no controller is left behind.</para>
/// </remarks>
public static class NvmeTcpFuzzTarget
{
    private static readonly Lazy<NvmeTargetCore> Core = new(CreateCore);

    /// <summary>Runs one input.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        int chunk = (input[0] & 3) switch { 0 => 1, 1 => 7, 2 => 64, _ => 4096 };
        NvmeTargetCore core = Core.Value;
        TargetSession? admin = null;
        try
        {
            if ((input[0] & 4) != 0)
            {
                admin = new TargetSession(core, "fuzz-admin");
                var prelude = new ArrayBufferWriter<byte>();
                Feed(admin, AdminPrelude.Value, 4096, prelude);
                Check(core.ControllerCount == 1, "the admin prelude did not create controller 1");
            }

            var output = new ArrayBufferWriter<byte>();
            var session = new TargetSession(core, "fuzz");
            bool churn = (input[0] & 8) != 0;
            try
            {
                Feed(session, input[1..], chunk, output, churn ? core : null);
            }
            finally
            {
                session.Dispose();
                if (churn)
                {
                    Wait(core.DetachNamespaceAsync(NvmeTcpStreams.Nqn, 2));
                    Wait(core.ResizeNamespaceAsync(NvmeTcpStreams.Nqn, 1, NamespaceSize));
                }
            }

            CheckOutput(output.WrittenSpan);
        }
        finally
        {
            admin?.Dispose();
        }

        Check(core.ControllerCount == 0, "a controller outlived its admin queue's session");
    }

    private static readonly Lazy<byte[]> AdminPrelude = new(NvmeTcpStreams.AdminPrelude);

    private static void Feed(TargetSession session, ReadOnlySpan<byte> stream, int chunk, ArrayBufferWriter<byte> output, NvmeTargetCore? churn = null)
    {
        byte[] pending = new byte[stream.Length];
        int buffered = 0;
        int stage = 0;
        for (int fed = 0; fed < stream.Length;)
        {
            // Between two reads no session is inside Process: the changes below need no grace period to be safe.
            if (churn is not null && stage == 0 && fed >= stream.Length / 3)
            {
                Wait(churn.AttachNamespaceAsync(NvmeTcpStreams.Nqn, new NvmeNamespaceOptions { NamespaceId = 2, SizeBytes = 64 * 1024, BlockSize = 4096 }));
                Wait(churn.ResizeNamespaceAsync(NvmeTcpStreams.Nqn, 1, NamespaceSize / 2));
                stage = 1;
            }
            else if (churn is not null && stage == 1 && fed >= stream.Length * 2 / 3)
            {
                Wait(churn.DetachNamespaceAsync(NvmeTcpStreams.Nqn, 2));
                stage = 2;
            }

            int n = Math.Min(chunk, stream.Length - fed);
            stream.Slice(fed, n).CopyTo(pending.AsSpan(buffered));
            fed += n;
            buffered += n;
            var sequence = new ReadOnlySequence<byte>(pending, 0, buffered);
            SessionStatus status = session.Process(ref sequence, output);
            int consumed = buffered - (int)sequence.Length;
            Check(consumed >= 0 && consumed <= buffered, $"consumed {consumed} of {buffered}");
            pending.AsSpan(consumed, buffered - consumed).CopyTo(pending);
            buffered -= consumed;
            if (status == SessionStatus.Close)
            {
                return;
            }
        }
    }

    private static void CheckOutput(ReadOnlySpan<byte> written)
    {
        var rules = new PduRules { IsController = false, DataAlignment = 4, MaxCapsuleOrC2HData = 1 << 20 };
        while (!written.IsEmpty)
        {
            Check(written.Length >= PduCommonHeader.Size, "a truncated PDU header was written");
            PduCommonHeader header = PduValidator.ReadCommonHeader(written);
            FatalErrorStatus status = PduValidator.Validate(header, rules, out PduFrame frame, out uint fei);
            Check(status == FatalErrorStatus.None, $"the target wrote a malformed {header.Type} PDU ({status} at {fei})");
            Check(written.Length >= frame.PduLength, "a truncated PDU was written");
            ReadOnlySpan<byte> pdu = written[..frame.PduLength];
            Check(PduValidator.HeaderDigestMatches(pdu, frame), "a wrong header digest was written");
            if (frame.Type == PduType.ICResp)
            {
                ICRespPdu response = MemoryMarshal.Read<ICRespPdu>(pdu);
                rules.Initialized = true;
                rules.HeaderDigest = (response.Digests & 1) != 0;
                rules.DataDigest = (response.Digests & 2) != 0;
            }

            written = written[frame.PduLength..];
            Check(frame.Type != PduType.C2HTermReq || written.IsEmpty, "the target wrote after its C2HTermReq");
        }
    }

    /// <summary>Capacity of NSID 1.</summary>
    private const long NamespaceSize = 1 << 20;

    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    private static NvmeTargetCore CreateCore()
    {
        var options = new NvmeTcpTargetOptions { Port = 0, MaxQueueDepth = 8, MaxIoQueues = 2, MaxH2CData = 8192, InCapsuleDataSize = 4096, MaxDataTransferSize = 65536 };
        var subsystem = new NvmeSubsystemOptions { Nqn = NvmeTcpStreams.Nqn };
        subsystem.Namespaces.Add(new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = NamespaceSize, BlockSize = 512 });
        options.Subsystems.Add(subsystem);
        return new NvmeTargetCore(options, NullLogger.Instance);
    }


    private static void Check([DoesNotReturnIf(false)] bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailureException($"nvmetcp: {what}.");
        }
    }
}
