using System.Diagnostics.Metrics;
using ReNESENS.DataPlane.Offload;
using ReNESENS.DataPlane.Tests.Kernels;

namespace ReNESENS.DataPlane.Tests.Offload;

public sealed class OffloadMetricsTests
{
    [Fact]
    public void OperationsBytesAndErrorsAreCountedPerKindWithoutAllocating()
    {
        using var factory = new TestMeterFactory();
        var totals = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "ReNESENS.DataPlane.Offload" && instrument.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                key += $"|{tag.Key}={tag.Value}";
            }

            totals[key] = totals.GetValueOrDefault(key) + value;
        });
        listener.Start();

        using var mem = new OffloadTestRegion(1 << 16);
        using var engine = new SoftwareEngine(new OffloadEngineOptions { MeterFactory = factory });
        using IOffloadQueuePair qp = engine.CreateQueuePair(8);
        DmaSlice src = mem.Put(CrcReference.RandomBytes(1000, 1));
        DmaSlice corrupt = mem.Put([0xF0, 0x00]);
        DmaSlice dst = mem.Alloc(4096);
        OffloadOp[] batch =
        [
            OffloadOp.Crc(OffloadOpKind.Crc32C, src, 0),
            OffloadOp.Crc(OffloadOpKind.Crc32C, src, 1),
            OffloadOp.Lz4(OffloadOpKind.Lz4Decompress, corrupt, dst, 2),
        ];
        var done = new OffloadCompletion[8];
        qp.Submit(batch);
        qp.Poll(done);
        Assert.Equal(2, totals["renesens.offload.operations|renesens.offload.op=Crc32C"]);
        Assert.Equal(2000, totals["renesens.offload.bytes|renesens.offload.op=Crc32C"]);
        Assert.Equal(1, totals["renesens.offload.operations|renesens.offload.op=Lz4Decompress"]);
        Assert.Equal(1, totals["renesens.offload.errors|renesens.offload.op=Lz4Decompress|renesens.offload.status=CorruptData"]);
        Assert.DoesNotContain(totals.Keys, k => k.StartsWith("renesens.offload.errors|renesens.offload.op=Crc32C", StringComparison.Ordinal));

        // The same batches with a listener attached still allocate nothing in the engine
        // (the callback above builds strings, so it is detached for the measurement).
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        for (int i = 0; i < 10; i++)
        {
            qp.Submit(batch);
            qp.Poll(done);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            qp.Submit(batch);
            qp.Poll(done);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>A minimal factory, as dependency injection provides: meters scoped to it, disposed with it.</summary>
    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
