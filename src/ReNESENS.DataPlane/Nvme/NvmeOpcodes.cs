namespace ReNESENS.DataPlane.Nvme;

/// <summary>Opcodes and identifiers of the commands the target implements (NVMe base 2.0, NVM command set 1.0, NVMe-oF 1.1).</summary>
internal static class NvmeOpcodes
{
    /// <summary>Admin: Get Log Page.</summary>
    public const byte GetLogPage = 0x02;

    /// <summary>Admin: Identify.</summary>
    public const byte Identify = 0x06;

    /// <summary>Admin: Set Features.</summary>
    public const byte SetFeatures = 0x09;

    /// <summary>Admin: Get Features.</summary>
    public const byte GetFeatures = 0x0A;

    /// <summary>Admin: Asynchronous Event Request.</summary>
    public const byte AsyncEventRequest = 0x0C;

    /// <summary>Admin: Keep Alive.</summary>
    public const byte KeepAlive = 0x18;

    /// <summary>Fabrics command (admin or I/O queue).</summary>
    public const byte Fabrics = 0x7F;

    /// <summary>NVM: Flush.</summary>
    public const byte Flush = 0x00;

    /// <summary>NVM: Write.</summary>
    public const byte Write = 0x01;

    /// <summary>NVM: Read.</summary>
    public const byte Read = 0x02;

    /// <summary>NVM: Write Zeroes.</summary>
    public const byte WriteZeroes = 0x08;

    /// <summary>NVM: Dataset Management.</summary>
    public const byte DatasetManagement = 0x09;

    /// <summary>FCTYPE Property Set.</summary>
    public const byte PropertySet = 0x00;

    /// <summary>FCTYPE Connect.</summary>
    public const byte Connect = 0x01;

    /// <summary>FCTYPE Property Get.</summary>
    public const byte PropertyGet = 0x04;

    /// <summary>FCTYPE Disconnect.</summary>
    public const byte Disconnect = 0x08;

    /// <summary>Log page: error information.</summary>
    public const byte LogError = 0x01;

    /// <summary>Log page: SMART / health information.</summary>
    public const byte LogSmart = 0x02;

    /// <summary>Log page: changed namespace list.</summary>
    public const byte LogChangedNamespaces = 0x04;

    /// <summary>Log page: discovery.</summary>
    public const byte LogDiscovery = 0x70;

    /// <summary>Feature: number of queues.</summary>
    public const byte FeatureNumberOfQueues = 0x07;

    /// <summary>Feature: asynchronous event configuration.</summary>
    public const byte FeatureAsyncEventConfig = 0x0B;

    /// <summary>Feature: keep alive timer.</summary>
    public const byte FeatureKeepAliveTimer = 0x0F;

    /// <summary>Property offset: CAP (8 bytes).</summary>
    public const uint PropertyCap = 0x00;

    /// <summary>Property offset: VS.</summary>
    public const uint PropertyVs = 0x08;

    /// <summary>Property offset: CC.</summary>
    public const uint PropertyCc = 0x14;

    /// <summary>Property offset: CSTS.</summary>
    public const uint PropertyCsts = 0x1C;

    /// <summary>The well-known discovery subsystem NQN.</summary>
    public const string DiscoveryNqn = "nqn.2014-08.org.nvmexpress.discovery";
}
