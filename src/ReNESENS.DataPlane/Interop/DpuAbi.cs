namespace ReNESENS.DataPlane.Interop;

/// <summary>Constants of the device ABI in <c>include/renesens_dpu.h</c>; the values are the C ones.</summary>
internal static class DpuAbi
{
    /// <summary><c>RN_DPU_ABI_VERSION</c>: the only version this host drives.</summary>
    internal const uint Version = 2;

    /// <summary><c>RN_DPU_MAX_CHAIN</c>.</summary>
    internal const int MaxChain = 4;

    /// <summary><c>RN_DPU_DEVICE_EMULATED</c>.</summary>
    internal const uint DeviceEmulated = 1;

    /// <summary><c>RN_DPU_PI_CHECK_*</c>.</summary>
    internal const byte PiCheckGuard = 1, PiCheckApp = 2, PiCheckRef = 4;

    /// <summary><c>RN_DPU_PI_FIRST</c> / <c>RN_DPU_PI_LAST</c>.</summary>
    internal const byte PiFirst = 0, PiLast = 1;

    /// <summary><c>RN_DPU_META_INTERLEAVED</c> / <c>RN_DPU_META_SEPARATE</c>.</summary>
    internal const byte MetaInterleaved = 0, MetaSeparate = 1;

    /// <summary><c>RN_DPU_PI_FIELD_*</c>: the field a PI error names.</summary>
    internal const byte PiFieldGuard = 1, PiFieldApp = 2, PiFieldRef = 3;

    /// <summary>-ECONNRESET from <c>rn_dpu_poll</c>: the device reset itself.</summary>
    internal const int ConnectionReset = -104;

    /// <summary>The op bit in <c>rn_dpu_device_info.op_mask</c>.</summary>
    internal static ulong Bit(DpuOp op) => 1UL << (int)op;
}

/// <summary><c>enum rn_dpu_op</c>.</summary>
internal enum DpuOp : byte
{
    Nop = 0,
    Crc32C = 1,
    Crc64Nvme = 2,
    Crc16T10Dif = 3,
    PiGenerate = 4,
    PiVerify = 5,
    Lz4Compress = 6,
    Lz4Decompress = 7,
    XtsEncrypt = 8,
    XtsDecrypt = 9,
    Chain = 10,
    GcmEncrypt = 11,
    GcmDecrypt = 12,
}

/// <summary><c>enum rn_dpu_status</c>; any other value is a device failure.</summary>
internal enum DpuStatus
{
    Ok = 0,
    Invalid = 1,
    Range = 2,
    NoSpace = 3,
    Corrupt = 4,
    ProtectionInformation = 5,
    Key = 6,
    Unsupported = 7,
    Device = 8,
    Authentication = 9,
}

/// <summary><c>enum rn_dpu_key_type</c>.</summary>
internal enum DpuKeyType : uint
{
    AesXts256 = 1,
    AesGcm256 = 2,
}

/// <summary><c>enum rn_dpu_pi_format</c>.</summary>
internal enum DpuPiFormat : byte
{
    None = 0,
    Guard16 = 1,
    Guard64 = 2,
}
