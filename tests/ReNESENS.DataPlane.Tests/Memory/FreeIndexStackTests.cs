using System.Collections.Concurrent;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Tests.Memory;

public class FreeIndexStackTests
{
    [Fact]
    public void PopsTopFirstAndPushesOnTop()
    {
        var stack = new FreeIndexStack(5);
        Assert.Equal(5, stack.Count);
        Span<int> got = stackalloc int[3];
        Assert.Equal(3, stack.TryPop(got));
        Assert.Equal([0, 1, 2], got.ToArray());
        Assert.Equal(2, stack.Count);
        stack.Push([2, 0]);
        Assert.Equal(4, stack.Count);
        Span<int> rest = stackalloc int[8];
        Assert.Equal(4, stack.TryPop(rest));
        Assert.Equal([2, 0, 3, 4], rest[..4].ToArray());
        Assert.Equal(FreeIndexStack.End, stack.TryPopOne());
        Assert.Equal(0, stack.TryPop(rest));
        stack.PushOne(1);
        Assert.Equal(1, stack.TryPopOne());
        Assert.Equal(0, stack.Count);
    }

    [Fact]
    public void AStalePopIsRejectedEvenWhenTheSameIndexIsBackOnTop()
    {
        // The ABA interleaving, staged: a popper reads top 0 (next 1) and is preempted; others pop
        // 0 and 1 and push 0 back (now above 2). Without the tag its CAS would succeed and put 1,
        // which someone holds, on top.
        var stack = new FreeIndexStack(4);
        long observed = stack.ReadTop();
        int staleNext = 1;

        Span<int> two = stackalloc int[2];
        Assert.Equal(2, stack.TryPop(two));
        stack.PushOne(0);

        Assert.False(stack.TryCommitPop(ref observed, staleNext, 1));
        Assert.Equal(stack.ReadTop(), observed);
        Assert.Equal(3, stack.Count);
        Span<int> rest = stackalloc int[4];
        Assert.Equal(3, stack.TryPop(rest));
        Assert.Equal([0, 2, 3], rest[..3].ToArray());
    }

    [Fact]
    public void ContendedPopAndPushNeverHandAnIndexOutTwice()
    {
        // A tiny stack and more threads than cores make the ABA window (a pop preempted between
        // reading the top and its CAS while others pop and push the same index) as wide as we can.
        const int Capacity = 4;
        const int Threads = 4;
        const int Rounds = 300_000;
        var stack = new FreeIndexStack(Capacity);
        var owner = new int[Capacity];
        var errors = new ConcurrentQueue<string>();
        using var start = new Barrier(Threads);
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int id = t + 1;
            workers[t] = new Thread(() =>
            {
                Span<int> mine = stackalloc int[2];
                start.SignalAndWait();
                for (int r = 0; r < Rounds && errors.IsEmpty; r++)
                {
                    int n = stack.TryPop(mine[..(1 + (r & 1))]);
                    for (int i = 0; i < n; i++)
                    {
                        if (Interlocked.CompareExchange(ref owner[mine[i]], id, 0) != 0)
                        {
                            errors.Enqueue($"index {mine[i]} popped by {id} while held by {owner[mine[i]]}");
                            return;
                        }
                    }

                    for (int i = 0; i < n; i++)
                    {
                        Volatile.Write(ref owner[mine[i]], 0);
                    }

                    stack.Push(mine[..n]);
                }
            });
            workers[t].Start();
        }

        foreach (Thread w in workers)
        {
            w.Join();
        }

        Assert.Empty(errors);
        Assert.Equal(Capacity, stack.Count);
        Span<int> all = stackalloc int[Capacity + 1];
        Assert.Equal(Capacity, stack.TryPop(all));
        all = all[..Capacity];
        all.Sort();
        Assert.Equal([0, 1, 2, 3], all.ToArray());
    }
}
