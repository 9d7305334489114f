package dev.pushline.internal;

import dev.pushline.RpcHandler;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The engine's RPC settings. Validated by the builder that makes it.
 *
 * @param handlers the handler of each method clients may call
 * @param timeout how long a call may take before the client is answered {@code timeout}
 * @param maxInFlight how many calls of one connection may wait for their reply at once
 */
public record RpcConfig(Map<String, RpcHandler> handlers, Duration timeout, int maxInFlight) {

  /** Calls of one connection that may wait for their reply at once. */
  public static final int MAX_IN_FLIGHT = 32;

  public RpcConfig {
    handlers = Map.copyOf(handlers);
    Objects.requireNonNull(timeout, "timeout");
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight is " + maxInFlight + "; it must be >= 1");
    }
  }
}
