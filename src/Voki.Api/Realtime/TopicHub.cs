using System.Collections.Concurrent;
using Orleans.Streams;
using Voki.Grains.Realtime;

namespace Voki.Api.Realtime;

/// <summary>Something on this node that wants a topic's events: one joined channel of one socket.</summary>
public interface ITopicListener
{
    /// <summary>Called on the stream's delivery thread: must not block (it queues a frame).</summary>
    void Deliver(RealtimeEvent e);
}

/// <summary>
/// This node's link to the event streams. However many sockets here join a topic, the node holds one
/// subscription to its stream (taken with the first listener, dropped with the last) and fans each
/// event out to the local listeners. Grains on any node publish to the stream, so events reach the
/// sockets of every node. Socket-originated events (mute, participant_joined) are published here too.
/// </summary>
public sealed class TopicHub(IClusterClient cluster, ILogger<TopicHub> logger)
{
    private sealed class Topic(StreamId id)
    {
        public readonly StreamId Id = id;
        public readonly SemaphoreSlim Lock = new(1, 1);
        public ITopicListener[] Listeners = [];
        public StreamSubscriptionHandle<RealtimeEvent>? Subscription;
        public bool Retired;
    }

    private readonly ConcurrentDictionary<StreamId, Topic> _topics = new();

    private IAsyncStream<RealtimeEvent> Stream(StreamId id) =>
        cluster.GetStreamProvider(RealtimeStreams.Provider).GetStream<RealtimeEvent>(id);

    /// <summary>Number of topics this node currently follows (for tests and diagnostics).</summary>
    public int TopicCount => _topics.Count;

    public async Task<IAsyncDisposable> Subscribe(string streamNamespace, string key, ITopicListener listener)
    {
        var id = RealtimePublisher.Stream(streamNamespace, key);
        while (true)
        {
            var topic = _topics.GetOrAdd(id, static i => new Topic(i));
            await topic.Lock.WaitAsync();
            try
            {
                if (topic.Retired) continue;
                if (topic.Subscription is null)
                {
                    try
                    {
                        topic.Subscription = await Stream(id).SubscribeAsync((e, _) => Fan(topic, e));
                    }
                    catch
                    {
                        if (topic.Listeners.Length == 0) Retire(topic);
                        throw;
                    }
                }
                topic.Listeners = [.. topic.Listeners, listener];
                return new Lease(this, topic, listener);
            }
            finally
            {
                topic.Lock.Release();
            }
        }
    }

    public Task Publish(string streamNamespace, string key, RealtimeEvent e) =>
        Stream(RealtimePublisher.Stream(streamNamespace, key)).OnNextAsync(e);

    private Task Fan(Topic topic, RealtimeEvent e)
    {
        foreach (var listener in topic.Listeners)
        {
            try { listener.Deliver(e); }
            catch (Exception failure) { logger.LogWarning(failure, "A socket failed to take {Event} from {Stream}", e.Event, topic.Id); }
        }
        return Task.CompletedTask;
    }

    private async Task Unsubscribe(Topic topic, ITopicListener listener)
    {
        await topic.Lock.WaitAsync();
        try
        {
            topic.Listeners = topic.Listeners.Where(l => !ReferenceEquals(l, listener)).ToArray();
            if (topic.Listeners.Length > 0 || topic.Retired) return;
            Retire(topic);
            if (topic.Subscription is { } subscription)
            {
                topic.Subscription = null;
                try { await subscription.UnsubscribeAsync(); }
                catch (Exception failure) { logger.LogWarning(failure, "Could not unsubscribe from {Stream}", topic.Id); }
            }
        }
        finally
        {
            topic.Lock.Release();
        }
    }

    private void Retire(Topic topic)
    {
        topic.Retired = true;
        _topics.TryRemove(new KeyValuePair<StreamId, Topic>(topic.Id, topic));
    }

    private sealed class Lease(TopicHub hub, Topic topic, ITopicListener listener) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _disposed, 1) == 0 ? new ValueTask(hub.Unsubscribe(topic, listener)) : ValueTask.CompletedTask;
    }
}
