namespace Voki.Grains.Grains;

/// <summary>
/// A node's slots for one kind of heavy work (composition, transcription): at most <see cref="Capacity"/> jobs run at
/// once (a capacity that changes applies to the jobs that start next, never stops one that runs), the others wait in the order they came, and anyone can see who runs and who waits where (the operator's
/// /api/operator/work, the metrics gauges). One per kind and node (DI singletons); a job is named by its recording's
/// grain key. Waiting is free: the job's time limit and its attempts start only once it holds a slot.
/// </summary>
public abstract class WorkSlots
{
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _waiting = new();
    private readonly List<Holder> _running = [];
    private readonly LinkedList<FinishedJob> _recent = new();
    /// <summary>How many jobs that ran here <see cref="View"/> still lists, the latest first.</summary>
    public const int RecentJobs = 20;

    private readonly Func<int> _capacity;

    protected WorkSlots(int capacity) : this(() => capacity) { }

    protected WorkSlots(Func<int> capacity) => _capacity = capacity;

    public int Capacity => Math.Max(1, _capacity());
    public int Running { get { lock (_lock) return _running.Count; } }
    public int Waiting { get { lock (_lock) return _waiting.Count; } }

    /// <summary>Waits for a slot in arrival order; the slot is held until the returned handle is disposed.</summary>
    public async Task<IDisposable> EnterAsync(string job, CancellationToken cancellation)
    {
        Waiter waiter;
        lock (_lock)
        {
            if (_running.Count < Capacity && _waiting.Count == 0) return Hold(job);
            waiter = new Waiter(job, DateTime.UtcNow);
            waiter.Node = _waiting.AddLast(waiter);
        }
        await using var cancel = cancellation.Register(() =>
        {
            lock (_lock)
            {
                if (waiter.Node.List is null) return; // already given its slot
                _waiting.Remove(waiter.Node);
            }
            waiter.Granted.TrySetCanceled(cancellation);
        });
        return await waiter.Granted.Task;
    }

    /// <summary>1-based place of a waiting job in the queue; 0 while it runs; null when it neither waits nor runs here.</summary>
    public int? PlaceOf(string job)
    {
        lock (_lock)
        {
            if (_running.Any(h => h.Job == job)) return 0;
            var place = 1;
            for (var node = _waiting.First; node is not null; node = node.Next, place++)
                if (node.Value.Job == job) return place;
            return null;
        }
    }

    public WorkSlotsView View()
    {
        lock (_lock)
        {
            var place = 1;
            return new WorkSlotsView(Capacity,
                _running.Select(h => new RunningJob(h.Job, h.Since)).ToList(),
                _waiting.Select(w => new WaitingJob(w.Job, place++, w.Since)).ToList(),
                _recent.ToList());
        }
    }

    private Holder Hold(string job)
    {
        var holder = new Holder(this, job, DateTime.UtcNow);
        _running.Add(holder);
        return holder;
    }

    private void Release(Holder holder)
    {
        List<(Waiter, Holder)> granted;
        lock (_lock)
        {
            if (!_running.Remove(holder)) return;
            _recent.AddFirst(new FinishedJob(holder.Job, holder.Since, DateTime.UtcNow));
            if (_recent.Count > RecentJobs) _recent.RemoveLast();
            granted = AdmitWithinCapacity();
        }
        Grant(granted);
    }

    /// <summary>Starts the waiting jobs a grown capacity has room for.</summary>
    protected void CapacityChanged()
    {
        List<(Waiter, Holder)> granted;
        lock (_lock) granted = AdmitWithinCapacity();
        Grant(granted);
    }

    private List<(Waiter, Holder)> AdmitWithinCapacity()
    {
        var granted = new List<(Waiter, Holder)>();
        while (_running.Count < Capacity && _waiting.First is { } first)
        {
            _waiting.RemoveFirst();
            granted.Add((first.Value, Hold(first.Value.Job)));
        }
        return granted;
    }

    // Outside the lock: the waiter's continuation runs asynchronously anyway (RunContinuationsAsynchronously); a waiter
    // cancelled in between gives its slot straight back.
    private void Grant(List<(Waiter Waiter, Holder Slot)> granted)
    {
        foreach (var (waiter, slot) in granted)
            if (!waiter.Granted.TrySetResult(slot)) Release(slot);
    }

    private sealed class Waiter(string job, DateTime since)
    {
        public string Job { get; } = job;
        public DateTime Since { get; } = since;
        public LinkedListNode<Waiter> Node { get; set; } = null!;
        public TaskCompletionSource<IDisposable> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Holder(WorkSlots slots, string job, DateTime since) : IDisposable
    {
        private int _released;
        public string Job { get; } = job;
        public DateTime Since { get; } = since;
        public void Dispose() { if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release(this); }
    }
}

/// <summary>What one kind of heavy work looks like on a node at one instant.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkSlotsView(
    [property: Id(0)] int Capacity, [property: Id(1)] IReadOnlyList<RunningJob> Running, [property: Id(2)] IReadOnlyList<WaitingJob> Waiting,
    [property: Id(3)] IReadOnlyList<FinishedJob> Recent)
{
    /// <summary>Jobs here per slot, running or waiting (1: every slot taken, none waiting); what placement compares nodes by.</summary>
    public double Load(int alsoComing = 0) => (Running.Count + Waiting.Count + alsoComing) / (double)Math.Max(1, Capacity);

    public bool Holds(string job) => Running.Any(r => r.Job == job) || Waiting.Any(w => w.Job == job);
}

/// <summary>A job holding a slot since <paramref name="Since"/> (UTC); <paramref name="Job"/> is its recording's grain key.</summary>
[GenerateSerializer, Immutable]
public sealed record RunningJob([property: Id(0)] string Job, [property: Id(1)] DateTime Since);

/// <summary>A job that held a slot here from <paramref name="Since"/> until <paramref name="Until"/> (UTC), whatever its outcome.</summary>
[GenerateSerializer, Immutable]
public sealed record FinishedJob([property: Id(0)] string Job, [property: Id(1)] DateTime Since, [property: Id(2)] DateTime Until);

/// <summary>A job waiting at <paramref name="Place"/> (1 = next) since <paramref name="Since"/> (UTC).</summary>
[GenerateSerializer, Immutable]
public sealed record WaitingJob([property: Id(0)] string Job, [property: Id(1)] int Place, [property: Id(2)] DateTime Since);

/// <summary>
/// The node's composition slots (<see cref="RecordingOptions.CompositionSlots"/>): a recording waits here, still
/// <c>processing</c>, before its FFmpeg starts, so a burst of completed calls never starts more FFmpegs than the node has
/// room for. The room follows the node's live calls (<see cref="NodeCalls"/>): half the cores while it carries any, all
/// of them while it carries none.
/// </summary>
public sealed class CompositionSlots : WorkSlots
{
    public CompositionSlots(RecordingOptions options, NodeCalls? calls = null, int? cores = null)
        : base(() => options.CompositionSlotsFor(calls?.WithMedia > 0, cores ?? Environment.ProcessorCount))
    {
        if (calls is not null) calls.Changed += CapacityChanged;
    }
}

/// <summary>
/// The node's transcription slots: at most <see cref="TranscriptionOptions.MaxConcurrentJobs"/> jobs at once,
/// so transcription never takes the CPU that live calls need; a job waits here, pending.
/// </summary>
public sealed class TranscriptionSlots(TranscriptionOptions options) : WorkSlots(options.MaxConcurrentJobs);
