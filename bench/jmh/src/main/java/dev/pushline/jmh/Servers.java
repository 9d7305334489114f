package dev.pushline.jmh;

import dev.pushline.ChannelOptions;
import dev.pushline.PushServer;
import dev.pushline.transport.websocket.DiscardingTransport;
import java.util.ArrayList;
import java.util.List;

/** A started {@link PushServer} on a {@link DiscardingTransport}, with remote subscribers opened on it. */
final class Servers {

  final DiscardingTransport transport = new DiscardingTransport();
  final PushServer server;

  Servers(ChannelOptions options) {
    server = PushServer.builder()
        .transport(transport)
        .channelOptions(options)
        .callbackThreads(1)
        // One fake connection sends a subscribe and an unsubscribe per operation, millions in a run: far
        // past the default inbound rate limit, which is not what these benchmarks measure.
        .inboundRateLimit(10_000_000, 10_000_000)
        .build()
        .start();
  }

  /** Opens {@code n} connections and subscribes each to {@code channel} with a protocol v1 request. */
  List<DiscardingTransport.Connection> subscribers(int n, String channel) {
    List<DiscardingTransport.Connection> out = new ArrayList<>(n);
    String request = "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + channel + "\"}";
    for (int i = 0; i < n; i++) {
      DiscardingTransport.Connection c = transport.connect();
      c.inbound().onText(request);
      out.add(c);
    }
    if (server.channel(channel).subscriberCount() != n) {
      throw new IllegalStateException(server.channel(channel).subscriberCount() + " subscribers; expected " + n);
    }
    return out;
  }
}
