package dev.pushline.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.ConnectionListener;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import dev.pushline.ServerStats;
import dev.pushline.client.PushClient.Recovery;
import dev.pushline.client.PushClient.StreamPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Resume under fire: {@value #CLIENTS} clients on the shared default HttpClient, each subscribed to two
 * channels through a {@link TcpProxy}, while one thread publishes {@value #PUBLICATIONS} publications at
 * full speed and the test thread kills connections at random moments in four ways: a server-side close
 * ({@link CloseCodes#RECONNECT}), a TCP reset of both ends, a black hole (found by the clients' dead-server
 * detection), and an abrupt client-side abort. Slow-consumer closes ({@link CloseCodes#SLOW_CONSUMER}) come
 * on their own. History covers every outage, so every subscriber must end with every publication exactly
 * once, in order, and no resume may fail.
 *
 * <p>The server pings every 200 ms, so clients count 650 ms of silence as a dead server. Besides the black
 * holes, that also catches moments when the overloaded server writes nothing at all to some connections
 * (its single selector thread drains one connection's queue while the publisher refills it): more
 * reconnects, all of which must resume too.
 *
 * <p>The kills are drawn from a seeded {@link Random}; the seed is printed, and a failure names it. Rerun
 * with {@code -Dchaos.seed=N} to draw the same kills (thread timing still differs from run to run).
 */
class ResumeChaosIT {

  private static final int CLIENTS = 20;
  private static final int PUBLICATIONS = 20_000;
  private static final String[] CHANNELS = {"chaos-a", "chaos-b"};
  private static final Duration TIME_LIMIT = Duration.ofSeconds(40);

  private enum Kill { SERVER_CLOSE, TCP_RESET, BLACK_HOLE, CLIENT_ABORT }

  private PushServer server;
  private TcpProxy proxy;
  private final List<PushClient> clients = new ArrayList<>();
  private final Set<ClientConnection> live = ConcurrentHashMap.newKeySet();

  @AfterEach
  void closeEverything() throws Exception {
    clients.forEach(PushClient::close);
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void everySubscriberGetsEveryPublicationOnceInOrderWhileConnectionsAreKilled() throws Exception {
    long seed = Long.getLong("chaos.seed", System.nanoTime());
    System.out.println("ResumeChaosIT: seed " + seed + " (rerun with -Dchaos.seed=" + seed + ")");
    try {
      run(new Random(seed), seed);
    } catch (Throwable t) {
      throw new AssertionError("ResumeChaosIT failed with seed " + seed + ": " + t.getMessage(), t);
    }
  }

  private void run(Random random, long seed) throws Exception {
    long start = System.nanoTime();
    server = PushServer.builder().host("127.0.0.1").port(0)
        .channelOptions(ChannelOptions.DEFAULT.withHistory(PUBLICATIONS, Duration.ofMinutes(5)))
        .pingInterval(Duration.ofMillis(200)) // clients count 650 ms of silence as a dead server
        .connectionListener(new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            live.add(connection);
          }

          @Override
          public void onClosed(ClientConnection connection, int code, String reason) {
            live.remove(connection);
          }
        })
        .build().start();
    proxy = new TcpProxy(server.port());
    Channel[] channels = {server.channel(CHANNELS[0]), server.channel(CHANNELS[1])};

    CountDownLatch allDelivered = new CountDownLatch(CLIENTS * PUBLICATIONS);
    List<String> problems = Collections.synchronizedList(new ArrayList<>());
    Map<Recovery, AtomicInteger> recoveries = new EnumMap<>(Recovery.class);
    for (Recovery r : Recovery.values()) {
      recoveries.put(r, new AtomicInteger());
    }
    Map<String, AtomicInteger> disconnects = new ConcurrentHashMap<>();
    PushClient.Listener countDisconnects = new PushClient.Listener() {
      @Override
      public void onDisconnected(PushClient client, int code, String reason, Throwable failure,
          Duration reconnectDelay) {
        String why = String.valueOf(code);
        if (failure != null && failure.getCause() instanceof TimeoutException) {
          why = String.valueOf(failure.getMessage()).startsWith("no welcome") ? "connect timeout" : "silent server";
        }
        disconnects.computeIfAbsent(why, k -> new AtomicInteger()).incrementAndGet();
      }
    };
    List<Tracker> trackers = new ArrayList<>();
    // Not the subscribe futures: one fails if its connection drops before the server confirms (a loaded box
    // can make a client take the server for silent at the start), while the client keeps the subscription
    // and sends it again after reconnecting. The first onSubscribed of each is what counts.
    CountDownLatch subscribed = new CountDownLatch(CLIENTS * CHANNELS.length);
    for (int i = 0; i < CLIENTS; i++) {
      PushClient client = PushClient.builder()
          .uri(proxy.uri(server.path()))
          .reconnectDelay(Duration.ofMillis(1), Duration.ofMillis(20))
          .connectTimeout(Duration.ofSeconds(2)) // a black-holed attempt is given up soon
          .listener(countDisconnects)
          .build();
      clients.add(client);
      for (String channel : CHANNELS) {
        Tracker t = new Tracker("client " + i + " " + channel, allDelivered, subscribed, problems, recoveries);
        trackers.add(t);
        client.subscribe(channel, t);
      }
      client.connect();
    }
    assertTrue(subscribed.await(20, TimeUnit.SECONDS), subscribed.getCount() + " subscriptions never confirmed");

    AtomicReference<Throwable> publisherFailure = new AtomicReference<>();
    long[] published = new long[CHANNELS.length];
    Random publisherRandom = new Random(seed + 1);
    Thread publisher = new Thread(() -> {
      try {
        for (int i = 0; i < PUBLICATIONS; i++) {
          int c = publisherRandom.nextInt(CHANNELS.length);
          long offset = channels[c].publish("n", published[c] + 1);
          published[c] = offset;
        }
      } catch (Throwable t) {
        publisherFailure.set(t);
      }
    }, "chaos-publisher");
    long deadline = start + TIME_LIMIT.toNanos();
    Map<Kill, Integer> kills = new EnumMap<>(Kill.class);
    long publishStart = System.nanoTime();
    publisher.start();
    // Kill at random moments while the publisher runs; the bounded join paces the kills.
    while (publisher.isAlive()) {
      publisher.join(1 + random.nextInt(8));
      kill(random, kills);
      assertTrue(System.nanoTime() < deadline, "the publisher still runs after " + TIME_LIMIT);
    }
    publisher.join();
    if (publisherFailure.get() != null) {
      throw new AssertionError("the publisher failed", publisherFailure.get());
    }
    long publishNanos = System.nanoTime() - publishStart;

    boolean done = allDelivered.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    ServerStats stats = server.stats();
    System.out.printf("ResumeChaosIT: %d clients, %d publications (%d + %d) published in %d ms, "
            + "all delivered %d ms after the start; kills %s; disconnects seen by clients %s; recoveries %s; "
            + "server: %d slow-consumer closes, %d resumes recovered, %d not%n",
        CLIENTS, PUBLICATIONS, published[0], published[1], TimeUnit.NANOSECONDS.toMillis(publishNanos),
        elapsedMillis, kills, new TreeMap<>(disconnects), recoveries, stats.slowConsumerDisconnects(),
        stats.resumesRecovered(), stats.resumesNotRecovered());

    synchronized (problems) {
      assertTrue(problems.isEmpty(), problems.size() + " problems, the first: "
          + problems.subList(0, Math.min(10, problems.size())));
    }
    assertTrue(done, allDelivered.getCount() + " deliveries missing after " + elapsedMillis + " ms; "
        + "behind: " + behind(trackers, published));
    for (int i = 0; i < trackers.size(); i++) {
      assertEquals(published[i % CHANNELS.length], trackers.get(i).last(), trackers.get(i).name);
    }
    assertEquals(0, recoveries.get(Recovery.NOT_RECOVERED).get(), "resumes that failed");
    assertEquals(CLIENTS * CHANNELS.length, recoveries.get(Recovery.FRESH).get(), "fresh subscriptions");
    assertTrue(recoveries.get(Recovery.RECOVERED).get() > 0, "no resume happened at all");
    assertEquals(0, stats.resumesNotRecovered());
  }

  /** Kills one connection, drawn at random, in a way drawn at random. */
  private void kill(Random random, Map<Kill, Integer> kills) {
    int draw = random.nextInt(100);
    Kill kill = draw < 30 ? Kill.SERVER_CLOSE : draw < 60 ? Kill.TCP_RESET : draw < 90 ? Kill.CLIENT_ABORT
        : Kill.BLACK_HOLE;
    boolean done = switch (kill) {
      case SERVER_CLOSE -> {
        List<ClientConnection> connections = List.copyOf(live);
        if (connections.isEmpty()) {
          yield false;
        }
        connections.get(random.nextInt(connections.size())).close(CloseCodes.RECONNECT, "chaos");
        yield true;
      }
      case TCP_RESET, BLACK_HOLE -> {
        List<TcpProxy.Link> links = proxy.links();
        if (links.isEmpty()) {
          yield false;
        }
        TcpProxy.Link link = links.get(random.nextInt(links.size()));
        if (kill == Kill.TCP_RESET) {
          link.reset();
        } else {
          link.blackHole();
        }
        yield true;
      }
      case CLIENT_ABORT -> {
        clients.get(random.nextInt(clients.size())).abortConnection();
        yield true;
      }
    };
    if (done) {
      kills.merge(kill, 1, Integer::sum);
    }
  }

  private static String behind(List<Tracker> trackers, long[] published) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < trackers.size(); i++) {
      long missing = published[i % CHANNELS.length] - trackers.get(i).last();
      if (missing != 0) {
        b.append(trackers.get(i).name).append(" at ").append(trackers.get(i).last()).append(", ");
      }
    }
    return b.toString();
  }

  /**
   * Checks one subscription as it goes: each offset exactly the one after the last, data matching the
   * offset, FRESH only before anything was delivered.
   */
  private static final class Tracker implements PushClient.SubscriptionHandler {
    final String name;
    private final CountDownLatch allDelivered;
    private final CountDownLatch firstSubscribed;
    private boolean subscribedOnce; // written by the client's callbacks, one at a time
    private final List<String> problems;
    private final Map<Recovery, AtomicInteger> recoveries;
    private volatile long last; // written by the client's callbacks, one at a time

    Tracker(String name, CountDownLatch allDelivered, CountDownLatch firstSubscribed, List<String> problems,
        Map<Recovery, AtomicInteger> recoveries) {
      this.name = name;
      this.allDelivered = allDelivered;
      this.firstSubscribed = firstSubscribed;
      this.problems = problems;
      this.recoveries = recoveries;
    }

    long last() {
      return last;
    }

    @Override
    public void onSubscribed(String channel, StreamPosition position, Recovery recovery) {
      if (!subscribedOnce) {
        subscribedOnce = true;
        firstSubscribed.countDown();
      }
      recoveries.get(recovery).incrementAndGet();
      if (recovery == Recovery.FRESH && last != 0) {
        problems.add(name + ": FRESH after offset " + last + " was delivered");
      }
      if (recovery == Recovery.NOT_RECOVERED) {
        problems.add(name + ": not recovered at " + position + " after offset " + last);
      }
    }

    @Override
    public void onPublication(Publication p) {
      if (p.offset() != last + 1) {
        problems.add(name + ": offset " + p.offset() + " after " + last);
        return;
      }
      if (p.data().getAsLong() != p.offset()) {
        problems.add(name + ": offset " + p.offset() + " carries " + p.data());
      }
      last = p.offset();
      allDelivered.countDown();
    }

    @Override
    public void onUnsubscribed(String channel) {
      problems.add(name + ": unsubscribed by the server");
    }
  }
}
