using System.Text;

namespace ReNESENS.DataPlane.Fuzz.Seeds;

/// <summary>Valid and near-valid starting inputs for <see cref="Targets.NvmeConfigTarget"/>: the sample's shapes.</summary>
internal static class NvmeConfigSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> Create()
    {
        (string Name, string Json)[] seeds =
        [
            ("default", """{ "Target": { "listeners": [ { "address": "127.0.0.1", "port": 4420 } ], "maxQueueDepth": 128, "maxIoQueues": 8, "subsystems": [ { "nqn": "nqn.2026-11.io.renesens:ram0", "serialNumber": "RNRAM0000001", "modelNumber": "ReNESENS RAM disk", "allowedHosts": [], "namespaces": [ { "namespaceId": 1, "sizeBytes": 1048576, "blockSize": 512 } ] } ] }, "Statistics": { "intervalSeconds": 1.0 } }"""),
            ("two-listeners", """{ "Target": { "listeners": [ { "address": "127.0.0.1", "port": 0 }, { "address": "::1", "port": 4421 } ], "connectTimeout": "00:00:05", "subsystems": [ { "nqn": "nqn.2026-11.io.renesens:a", "maxNamespaceId": 8, "allowedHosts": [ "nqn.2014-08.org.nvmexpress:uuid:1" ], "namespaces": [ { "namespaceId": 2, "sizeBytes": 65536, "maxSizeBytes": 131072, "blockSize": 4096, "uuid": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" } ] } ] } }"""),
            ("file-and-transform", """{ "Target": { "port": 4420, "subsystems": [ { "nqn": "nqn.2026-11.io.renesens:f", "namespaces": [ { "namespaceId": 1, "sizeBytes": 0, "filePath": "/dev/loop0", "directIo": "required" }, { "namespaceId": 3, "sizeBytes": 1048576, "blockSize": 4096, "transform": { "key": "00", "storeSizeBytes": 0 } } ] } ] } }"""),
            ("bad-values", """{ "Target": { "port": "x", "maxIoQueues": 0, "listeners": { "a": 1 }, "subsystems": [ { "nqn": "", "namespaces": [ { "namespaceId": 0, "blockSize": 1000, "directIo": "sometimes" }, 7 ] } ] } }"""),
            ("duplicates", """{ "Target": { "subsystems": [ { "nqn": "nqn.x:a", "namespaces": [ { "namespaceId": 1, "sizeBytes": 512 }, { "namespaceId": 1, "sizeBytes": 512 } ] }, { "nqn": "nqn.x:a" } ] } }"""),
        ];
        foreach ((string name, string json) in seeds)
        {
            yield return (name, Encoding.UTF8.GetBytes(json));
        }
    }
}
