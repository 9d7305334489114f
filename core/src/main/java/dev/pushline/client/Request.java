package dev.pushline.client;

import com.google.gson.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * One {@code publish}, {@code presence}, {@code unsubscribe}, {@code refresh} or {@code rpc} request and the
 * future its reply completes. (Subscriptions are tracked by {@link Subscription}, since they outlive a
 * connection.)
 *
 * <p>{@link #id} and {@link #timeout} are guarded by the owning client's lock; the rest is immutable.
 *
 * @param <T> what the reply yields: the offset of a publication, the clients of a presence, the result of
 *     an rpc, nothing for an unsubscribe or a refresh
 */
final class Request<T> {

  /** For log lines and exception messages, e.g. {@code publish to "chat"}. */
  final String description;
  final String replyType;
  final String channel;
  private final LongFunction<String> encoder;
  private final Function<JsonObject, T> result;
  final CompletableFuture<T> future = new CompletableFuture<>();

  long id = -1; // guarded by the client's lock; assigned when sent
  ScheduledFuture<?> timeout; // guarded by the client's lock

  Request(String description, String replyType, String channel, LongFunction<String> encoder,
      Function<JsonObject, T> result) {
    this.description = description;
    this.replyType = replyType;
    this.channel = channel;
    this.encoder = encoder;
    this.result = result;
  }

  /** The request's frame with id {@code id}. */
  String encode(long id) {
    return encoder.apply(id);
  }

  /** Completes the future with what {@code reply} says. Call without holding a lock. */
  void succeed(JsonObject reply) {
    T value;
    try {
      value = result.apply(reply);
    } catch (RuntimeException e) {
      future.completeExceptionally(e);
      return;
    }
    future.complete(value);
  }

  /** Call without holding a lock. */
  void fail(Throwable failure) {
    future.completeExceptionally(failure);
  }

  @Override
  public String toString() {
    return description + (id >= 0 ? " (id " + id + ")" : "");
  }
}
