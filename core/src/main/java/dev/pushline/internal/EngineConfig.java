package dev.pushline.internal;

import dev.pushline.ConnectionListener;
import java.util.Objects;

/** The engine's share of the server configuration. Validated by the builder that makes it. */
public record EngineConfig(
    int maxMessageBytes,
    int maxSubscriptionsPerConnection,
    boolean clientPublish,
    int callbackThreads,
    ConnectionListener connectionListener) {

  public EngineConfig {
    Objects.requireNonNull(connectionListener, "connectionListener");
  }
}
