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
    SecurityConfig security,
    dev.pushline.broker.Broker broker,
    java.time.Duration presenceTtl,
    RpcConfig rpc) {

  public EngineConfig {
    Objects.requireNonNull(connectionListener, "connectionListener");
    Objects.requireNonNull(channelOptions, "channelOptions");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(security, "security");
    Objects.requireNonNull(broker, "broker");
    Objects.requireNonNull(presenceTtl, "presenceTtl");
    Objects.requireNonNull(rpc, "rpc");
    namespaceOptions = Map.copyOf(namespaceOptions);
  }

  /**
   * How the broker keeps channel {@code name}'s stream. The position outlives history by an hour, so a
   * client that resumes on a quiet channel is told it missed nothing.
   */
  public dev.pushline.broker.StreamOptions streamOptionsFor(String name) {
    ChannelOptions o = optionsFor(name);
    java.time.Duration meta = o.historyTtl().compareTo(META_TTL) > 0 ? o.historyTtl() : META_TTL;
    return new dev.pushline.broker.StreamOptions(o.historySize(), o.historyTtl(), meta);
  }

  private static final java.time.Duration META_TTL = java.time.Duration.ofHours(1);

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
