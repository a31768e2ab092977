using System.Net;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>A bound listener as the discovery log page reports it: PORTID and the transport address (TRADDR, TRSVCID).</summary>
internal sealed record NvmeListenerInfo(ushort PortId, IPEndPoint EndPoint);
