using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>vhostmsg</c>: the vhost-user message parser on a hostile stream. The input is a sequence of
/// records: one byte giving the number of file descriptors that came with the message (mod 10), then the
/// message (12-byte header, then as much payload as the header announces, cut short at the end of input).
/// </summary>
/// <remarks>
/// Every accepted message must keep the parser's promises: a payload no larger than
/// <c>MaxPayloadSize</c>, a memory table of 1..8 regions with exactly one descriptor each, kick/call/err
/// with one descriptor unless the no-fd bit is set, and every other request with none. Refusals are normal.
/// </remarks>
public static class VhostUserMessageTarget
{
    /// <summary>Runs one input.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        while (input.Length >= 1 + VhostUserMessage.HeaderSize)
        {
            int fds = input[0] % 10;
            ReadOnlySpan<byte> header = input.Slice(1, VhostUserMessage.HeaderSize);
            input = input[(1 + VhostUserMessage.HeaderSize)..];
            if (VhostUserMessage.TryParseHeader(header, out VhostUserMessage message) != VhostUserProtocolError.None)
            {
                continue;
            }

            Check(message.PayloadSize is >= 0 and <= VhostUserMessage.MaxPayloadSize, $"payload size {message.PayloadSize} accepted");
            ReadOnlySpan<byte> payload = input[..Math.Min(input.Length, message.PayloadSize)];
            input = input[payload.Length..];
            VhostUserProtocolError error = VhostUserMessage.TryParsePayload(ref message, payload, fds);
            if (payload.Length < message.PayloadSize)
            {
                Check(error == VhostUserProtocolError.Truncated, $"a short payload gave {error}");
                continue;
            }

            if (error != VhostUserProtocolError.None)
            {
                continue;
            }

            switch (message.Request)
            {
                case VhostUserRequest.SetMemTable:
                    Check(message.RegionCount is >= 1 and <= 8 && message.RegionCount == fds, $"{message.RegionCount} regions with {fds} descriptors");
                    break;
                case VhostUserRequest.SetVringKick or VhostUserRequest.SetVringCall or VhostUserRequest.SetVringErr:
                    Check(fds == (message.NoFd ? 0 : 1) && message.Index <= 0xFF, $"{message.Request} with {fds} descriptors");
                    break;
                default:
                    Check(fds == 0, $"{message.Request} accepted with {fds} descriptors");
                    break;
            }
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailureException(what);
        }
    }
}
