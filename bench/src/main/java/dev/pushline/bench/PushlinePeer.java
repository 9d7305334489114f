package dev.pushline.bench;

import dev.pushline.ChannelOptions;
import dev.pushline.PushServer;
import dev.pushline.ServerStats;
import dev.pushline.transport.websocket.WebSocketTransport;
import java.time.Duration;

/**
 * Pushline as a peer of the shared fan-out benchmark ({@code ../shared/peers}): {@code main(port [proto])}
 * embeds a {@link PushServer} on {@code 127.0.0.1:port} and prints {@code READY <label> <port>} once it
 * accepts connections.
 *
 * <h2>Protocols</h2>
 * <ul>
 *   <li>{@code v1} (default, peer {@code pushline}): Pushline's own wire protocol v1 on {@code /pushline},
 *       client publishing allowed. The load tool subscribes with a {@code subscribe} request and publishes
 *       with a {@code publish} request, as a user's clients would.
 *   <li>{@code raw} (peer {@code pushline-raw}): the harness's {@code raw} frames on {@code /}, mapped onto
 *       the API by {@link RawProtocolTransport}: {@code sub bench} is a server-side
 *       {@code channel.subscribe(connection)}, {@code pub bench <p>} an in-process
 *       {@code channel.publish("m", p)}, as an embedding application publishes.
 * </ul>
 *
 * <h2>Configuration</h2>
 * History on with the defaults ({@link ChannelOptions#DEFAULT}) unless {@code -Dpushline.bench.history=off};
 * {@code maxQueuedBytes} 64 MiB so the closed-loop benchmark never meets the slow-consumer policy (the
 * counter is printed at exit to prove it); pings every 120 s, like the {@code jws-raw} peer's
 * connection-lost timeout; the inbound rate limit off (the publisher is one client connection);
 * {@code maxConnectionsPerAddress} 20,000, since every load client is on 127.0.0.1. On exit (SIGTERM from
 * the harness) it prints one {@code STATS} line.
 */
public final class PushlinePeer {

  private PushlinePeer() {}

  public static void main(String[] args) {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: PushlinePeer <port> [v1|raw]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    String proto = args.length > 1 ? args[1] : "v1";
    boolean history = !"off".equals(System.getProperty("pushline.bench.history", "on"));

    PushServer.Builder builder = PushServer.builder()
        .host("127.0.0.1")
        .port(port)
        .maxQueuedBytes(64L * 1024 * 1024)
        // Every benchmark client connects from 127.0.0.1: the per-address default (1,000) would refuse them.
        .maxConnectionsPerAddress(20_000)
        .pingInterval(Duration.ofSeconds(120))
        .channelOptions(history ? ChannelOptions.DEFAULT : ChannelOptions.noHistory());
    String label;
    RawProtocolTransport raw = null;
    switch (proto) {
      case "v1" -> {
        // The load tool publishes as fast as it can from one connection: far past the default inbound
        // rate limit (100 messages/s), which protects a server from its clients, not from its benchmark.
        builder.allowClientPublish().inboundRateLimit(10_000_000, 10_000_000);
        label = "pushline";
      }
      case "raw" -> {
        raw = new RawProtocolTransport(WebSocketTransport.create());
        builder.transport(raw).path("/");
        label = "pushline-raw";
      }
      default -> throw new IllegalArgumentException("proto is \"" + proto + "\"; it must be v1 or raw");
    }
    PushServer server = builder.build();
    if (raw != null) {
      raw.serve(server);
    }
    server.start();
    server.channel("bench"); // created up front, kept for the server's lifetime
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      ServerStats s = server.stats();
      System.out.println("STATS " + label + " slowConsumerDisconnects=" + s.slowConsumerDisconnects()
          + " skippedPublications=" + s.skippedPublications() + " connections=" + s.connections()
          + " history=" + (history ? "on" : "off"));
      System.out.flush();
      server.close();
    }, "bench-shutdown"));
    System.out.println("READY " + label + " " + server.port() + " pid=" + ProcessHandle.current().pid()
        + " history=" + (history ? "on" : "off"));
    System.out.flush();
  }
}
