package dev.pushline.broker;

import com.google.gson.JsonElement;
import dev.pushline.ClientInfo;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What nodes of one Pushline deployment share: each channel's stream (offsets, epoch, history), the
 * delivery of publications to every node that has subscribers for a channel, and presence. A server uses
 * exactly one broker; {@link MemoryBroker} (the default) shares nothing and serves one node, a Redis
 * broker ({@code pushline-redis}) serves many.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Atomic publish.</b> {@link #publish} assigns the channel's next offset, appends the publication
 *       to history and hands it to every subscribed node in one step per channel: two publishers never
 *       get the same offset, history never holds a publication that subscribed nodes will not receive, and
 *       every node receives a channel's publications in offset order.
 *   <li><b>Order of calls.</b> Calls for one channel take effect in the order they are made from one
 *       thread: a {@link #subscribe} made after an {@link #unsubscribe} leaves the node subscribed.
 *   <li><b>Subscribe before read.</b> Once the future of {@link #subscribe} completes, every later
 *       publication of the channel reaches the {@link BrokerHandler}. A node that subscribes, then reads
 *       history, and merges the two by offset therefore misses nothing: what the read did not see arrives
 *       live.
 *   <li><b>Failure is loud.</b> Every future completes, with a value or a {@link BrokerException}, within
 *       the broker's timeout. A publish that fails may or may not have been published; one that succeeded
 *       has been appended and delivered. When delivery to this node was interrupted (the connection to a
 *       shared broker dropped), the broker subscribes again on its own and calls
 *       {@link BrokerHandler#onDeliveryInterrupted()}. When a stream's history and position are lost (a
 *       restart without persistence), its next position has a new epoch, so resuming clients are told
 *       they cannot be recovered rather than handed a silent gap.
 *   <li><b>Bounded.</b> History keeps at most {@link StreamOptions#historySize()} publications for
 *       {@link StreamOptions#historyTtl()}; a stream's position is forgotten {@link StreamOptions#metaTtl()}
 *       after its last use (a broker may forget a stream with empty history earlier to bound its memory:
 *       the stream's new epoch tells resuming clients); presence entries expire unless refreshed. The
 *       latest {@link StreamOptions} given for a stream apply to its later expiry.
 *   <li><b>Reads past eviction.</b> A read {@link HistoryQuery#after after} an offset whose successors
 *       were evicted starts at the oldest publication still held, and its {@code limit} counts from there.
 *   <li><b>Lifecycle and misuse.</b> Calls before {@link #start} throw {@link IllegalStateException}; after
 *       {@link #close()} every future fails with a {@link BrokerException}; invalid arguments (null, a
 *       non-positive presence ttl) throw at once rather than in a future.
 *   <li><b>The handler.</b> A handler that throws is logged; the broker goes on (a publication it was
 *       delivering stays published). Join and leave events are not ordered with publications.
 * </ul>
 *
 * <p>Implementations are thread-safe and must not call back into the {@link BrokerHandler} from inside
 * {@link #start} before it returns.
 */
public interface Broker extends AutoCloseable {

  /**
   * Starts the broker: connects if it has something to connect to. Called once by the server before any
   * other method.
   *
   * @throws BrokerException if the broker cannot be reached: the server does not start
   */
  void start(BrokerHandler handler);

  /**
   * Appends a publication to channel {@code channel}'s stream and delivers it to every subscribed node,
   * this one included if subscribed, atomically (see the contract above).
   *
   * @param data the payload; {@code JsonNull} for none
   * @return the position of the new publication (its offset and the stream's epoch)
   */
  CompletableFuture<StreamPosition> publish(String channel, String event, JsonElement data,
      StreamOptions options);

  /**
   * Reads channel {@code channel}'s position and, as {@code query} asks, its history. Counts as a use of
   * the stream (see {@link StreamOptions#metaTtl()}); creates the stream, with offset 0 and a new epoch,
   * if it does not exist.
   */
  CompletableFuture<HistoryResult> history(String channel, HistoryQuery query, StreamOptions options);

  /** From the returned future's completion on, this node receives channel {@code channel}'s publications. */
  CompletableFuture<Void> subscribe(String channel);

  /** This node no longer needs channel {@code channel}'s publications. */
  CompletableFuture<Void> unsubscribe(String channel);

  /**
   * Adds or refreshes {@code client} in channel {@code channel}'s presence; the entry expires after
   * {@code ttl} unless added again. Adding an entry that exists replaces it.
   */
  CompletableFuture<Void> addPresence(String channel, ClientInfo client, Duration ttl);

  /** Removes client {@code clientId} from channel {@code channel}'s presence; no-op if absent. */
  CompletableFuture<Void> removePresence(String channel, String clientId);

  /** The unexpired presence entries of channel {@code channel}, in no particular order. */
  CompletableFuture<List<ClientInfo>> presence(String channel);

  /** Delivers a join event to every node subscribed to {@code channel}, once each. */
  CompletableFuture<Void> publishJoin(String channel, ClientInfo client);

  /** Delivers a leave event to every node subscribed to {@code channel}, once each. */
  CompletableFuture<Void> publishLeave(String channel, ClientInfo client);

  /** Releases the broker's connections and threads. Idempotent. No handler call starts after it returns. */
  @Override
  void close();
}
