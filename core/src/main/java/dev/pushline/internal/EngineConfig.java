package dev.pushline.internal;

import dev.pushline.ChannelOptions;
import dev.pushline.ConnectionListener;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;

/** The engine's share of the server configuration. Validated by the builder that makes it. */
public record EngineConfig(
    int maxMessageBytes,
    int maxSubscriptionsPerConnection,
    boolean clientPublish,
    int callbackThreads,
    ConnectionListener connectionListener,
    ChannelOptions channelOptions,
    Map<String, ChannelOptions> namespaceOptions,
    Clock clock,
    java.time.Duration pingInterval,
    long maxQueuedBytes,
    SecurityConfig security) {

  public EngineConfig {
    Objects.requireNonNull(connectionListener, "connectionListener");
    Objects.requireNonNull(channelOptions, "channelOptions");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(security, "security");
    namespaceOptions = Map.copyOf(namespaceOptions);
  }

  /** Throws {@link IllegalArgumentException} unless {@code name} is a valid channel name. */
  public static void requireChannelName(String name) {
    Names.requireChannel(name);
  }

  /**
   * The options of channel {@code name}: those of its namespace (the part before the first {@code :}) if
   * one is configured, else the defaults.
   */
  public ChannelOptions optionsFor(String name) {
    int colon = name.indexOf(':');
    if (colon > 0) {
      ChannelOptions o = namespaceOptions.get(name.substring(0, colon));
      if (o != null) {
        return o;
      }
    }
    return channelOptions;
  }
}
