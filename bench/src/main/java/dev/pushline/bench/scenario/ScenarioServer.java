package dev.pushline.bench.scenario;

import dev.pushline.Channel;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.ConnectionListener;
import dev.pushline.PushServer;
import dev.pushline.ServerStats;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The server under test of the {@link Scenarios}: a {@link PushServer} with the shipped defaults on
 * {@code 127.0.0.1}, in a JVM of its own so that its heap, CPU time and file descriptors are the server's
 * alone. {@code main([port])} (default 0: any free port) prints {@code READY <port> pid=<pid>}, then obeys
 * one command per line on stdin and answers on stdout. It exits when stdin ends (the load process died) or
 * on {@code quit}.
 *
 * <h2>Commands</h2>
 * <table>
 *   <caption>Control commands</caption>
 *   <tr><th>command</th><th>answer</th></tr>
 *   <tr><td>{@code heap}</td><td>{@code HEAP usedBytes=... } after {@code System.gc()} twice, with the
 *       fields of {@code stats}</td></tr>
 *   <tr><td>{@code stats}</td><td>{@code STATS connections=... channels=... fds=... threads=... cpuMs=...}
 *       and the server's counters, without a GC</td></tr>
 *   <tr><td>{@code create PREFIX N}</td><td>obtains channels {@code PREFIX0..PREFIX(N-1)} with
 *       {@code server.channel} (kept for the server's lifetime); {@code CREATED N}</td></tr>
 *   <tr><td>{@code fill PREFIX N COUNT}</td><td>publishes COUNT times on each of them; {@code FILLED total}</td></tr>
 *   <tr><td>{@code publish ID PREFIX N RATE SECONDS}</td><td>publishes round-robin over the N channels at
 *       RATE publications/s in all for SECONDS (or until {@code stop ID}) on a thread of its own; answers
 *       {@code PUBLISHING ID} at once and {@code PUBLISHED ID count} when done</td></tr>
 *   <tr><td>{@code stop ID}</td><td>ends publisher ID early; it answers {@code PUBLISHED ID count}</td></tr>
 *   <tr><td>{@code offsets PREFIX N}</td><td>{@code OFFSETS PREFIX o0,o1,...}: each channel's offset</td></tr>
 *   <tr><td>{@code kick PREFIX}</td><td>closes every connection subscribed to a channel whose name starts
 *       with PREFIX with {@link CloseCodes#RECONNECT}; {@code KICKED count micros}</td></tr>
 *   <tr><td>{@code kickstats}</td><td>{@code KICKSTATS opens=... openP50Us=... openP99Us=... openMaxUs=...
 *       resumedAllUs=...}: since the last kick, the micros to each new connection's {@code onOpen} and until
 *       the server had answered as many resumes (subscribes with {@code since}) as it kicked (-1: not yet)</td></tr>
 *   <tr><td>{@code quit}</td><td>{@code BYE} and the final {@code stats}, then closes the server</td></tr>
 * </table>
 *
 * Each publication's data is a 100-character string that starts with the publisher's
 * {@link System#nanoTime()} and a {@code |}: on Linux both JVMs read the same monotonic clock, so the load
 * side computes the delivery latency from it.
 *
 * <p>Commands run one at a time on the main thread; publishers on their own scheduler thread; answers are
 * written under a lock, one whole line each.
 */
public final class ScenarioServer {

  private static final String PAD = "x".repeat(100);

  private final PushServer server;
  private final Set<ClientConnection> connections = ConcurrentHashMap.newKeySet();
  private final Map<String, Channel[]> groups = new ConcurrentHashMap<>();
  private final Map<String, Publisher> publishers = new ConcurrentHashMap<>();
  /** When the last kick started (System.nanoTime()), 0 before any. */
  private volatile long kickNanos;
  /** Micros from the kick to each connection's onOpen (run on a callback thread, after the welcome). */
  private final Latencies opensAfterKick = new Latencies();
  /** Micros from the kick until the server had answered as many resumes as it kicked; -1 until then. */
  private volatile long resumedAllMicros = -1;
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1, r -> {
    Thread t = new Thread(r, "scenario-publisher");
    t.setDaemon(true);
    return t;
  });

  private ScenarioServer(int port) {
    this.server = PushServer.builder()
        .host("127.0.0.1")
        .port(port)
        .connectionListener(new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            connections.add(connection);
            long kicked = kickNanos;
            if (kicked != 0) {
              opensAfterKick.record((System.nanoTime() - kicked) / 1000);
            }
          }

          @Override
          public void onClosed(ClientConnection connection, int code, String reason) {
            connections.remove(connection);
          }
        })
        .build();
  }

  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    ScenarioServer s = new ScenarioServer(port);
    s.server.start();
    s.answer("READY " + s.server.port() + " pid=" + ProcessHandle.current().pid());
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    try {
      while ((line = in.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        if (line.equals("quit")) {
          break;
        }
        try {
          s.handle(line.trim().split("\\s+"));
        } catch (RuntimeException e) {
          s.answer("ERROR " + line + ": " + e);
        }
      }
    } finally {
      s.scheduler.shutdownNow();
      s.answer("BYE " + s.stats());
      s.server.close();
    }
  }

  private void handle(String[] c) {
    switch (c[0]) {
      case "heap" -> {
        System.gc();
        System.gc();
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        answer("HEAP usedBytes=" + used + " " + stats());
      }
      case "stats" -> answer("STATS " + stats());
      case "create" -> {
        Channel[] channels = group(c[1], Integer.parseInt(c[2]));
        answer("CREATED " + channels.length);
      }
      case "fill" -> {
        Channel[] channels = group(c[1], Integer.parseInt(c[2]));
        int count = Integer.parseInt(c[3]);
        for (Channel ch : channels) {
          for (int i = 0; i < count; i++) {
            ch.publish("m", payload());
          }
        }
        answer("FILLED " + (long) count * channels.length);
      }
      case "publish" -> {
        Publisher p = new Publisher(c[1], group(c[2], Integer.parseInt(c[3])), Double.parseDouble(c[4]),
            Double.parseDouble(c[5]));
        if (publishers.putIfAbsent(p.id, p) != null) {
          throw new IllegalArgumentException("publisher " + p.id + " exists already");
        }
        p.future = scheduler.scheduleAtFixedRate(p::tick, 0, 1, TimeUnit.MILLISECONDS);
        answer("PUBLISHING " + p.id);
      }
      case "stop" -> {
        Publisher p = publishers.get(c[1]);
        if (p == null) {
          throw new IllegalArgumentException("no publisher " + c[1]);
        }
        scheduler.execute(p::finish);
      }
      case "offsets" -> {
        Channel[] channels = group(c[1], Integer.parseInt(c[2]));
        StringBuilder sb = new StringBuilder("OFFSETS ").append(c[1]).append(' ');
        for (int i = 0; i < channels.length; i++) {
          sb.append(i == 0 ? "" : ",").append(channels[i].offset());
        }
        answer(sb.toString());
      }
      case "kick" -> {
        long t0 = System.nanoTime();
        ServerStats base = server.stats();
        long resumedBefore = base.resumesRecovered() + base.resumesNotRecovered();
        kickNanos = t0;
        resumedAllMicros = -1;
        List<ClientConnection> kicked = new ArrayList<>();
        for (ClientConnection conn : connections) {
          if (conn.channels().stream().anyMatch(name -> name.startsWith(c[1]))) {
            kicked.add(conn);
          }
        }
        for (ClientConnection conn : kicked) {
          conn.close(CloseCodes.RECONNECT, "resume storm");
        }
        watchResumes(t0, resumedBefore + kicked.size());
        answer("KICKED " + kicked.size() + " " + (System.nanoTime() - t0) / 1000);
      }
      case "kickstats" -> answer("KICKSTATS opens=" + opensAfterKick.count() + " openP50Us="
          + opensAfterKick.quantile(0.5) + " openP99Us=" + opensAfterKick.quantile(0.99) + " openMaxUs="
          + opensAfterKick.quantile(1.0) + " resumedAllUs=" + resumedAllMicros);
      default -> throw new IllegalArgumentException("unknown command");
    }
  }

  /** Notes when the resume counters reach {@code target}: checked every 5 ms for at most 120 s. */
  private void watchResumes(long t0, long target) {
    ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
    self[0] = scheduler.scheduleAtFixedRate(() -> {
      ServerStats s = server.stats();
      long now = System.nanoTime();
      boolean reached = s.resumesRecovered() + s.resumesNotRecovered() >= target;
      if (reached && resumedAllMicros < 0) {
        resumedAllMicros = (now - t0) / 1000;
      }
      ScheduledFuture<?> f = self[0];
      if ((reached || now - t0 > 120_000_000_000L) && f != null) {
        f.cancel(false);
      }
    }, 5, 5, TimeUnit.MILLISECONDS);
  }

  private Channel[] group(String prefix, int n) {
    Channel[] channels = groups.computeIfAbsent(prefix + "#" + n, k -> {
      Channel[] made = new Channel[n];
      for (int i = 0; i < n; i++) {
        made[i] = server.channel(prefix + i);
      }
      return made;
    });
    return channels;
  }

  private static String payload() {
    String t = Long.toString(System.nanoTime());
    return t + "|" + PAD.substring(0, 100 - t.length() - 1);
  }

  private String stats() {
    ServerStats s = server.stats();
    long cpuNanos = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    return "connections=" + s.connections() + " channels=" + s.channels() + " fds=" + openFds()
        + " threads=" + ManagementFactory.getThreadMXBean().getThreadCount() + " cpuMs=" + cpuNanos / 1_000_000
        + " slowConsumerDisconnects=" + s.slowConsumerDisconnects() + " resumesRecovered=" + s.resumesRecovered()
        + " resumesNotRecovered=" + s.resumesNotRecovered();
  }

  /** Entries of /proc/self/fd, the listing's own descriptor included (a constant +1); -1 off Linux. */
  private static long openFds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (IOException e) {
      return -1; // not Linux: reported as unknown
    }
  }

  private synchronized void answer(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /** Publishes at a fixed rate; ticked every millisecond on the scheduler thread, which owns its fields. */
  private final class Publisher {
    final String id;
    final Channel[] channels;
    final double perSecond;
    final long total;
    final long start = System.nanoTime();
    long published;
    boolean done;
    volatile ScheduledFuture<?> future; // set by the main thread just after scheduling



    Publisher(String id, Channel[] channels, double perSecond, double seconds) {
      if (perSecond <= 0 || seconds <= 0) {
        throw new IllegalArgumentException("rate and seconds are " + perSecond + " and " + seconds
            + "; both must be > 0");
      }
      this.id = id;
      this.channels = channels;
      this.perSecond = perSecond;
      this.total = (long) (perSecond * seconds);
    }

    void tick() {
      if (done || future == null) {
        return;
      }
      long due = Math.min(total, (long) ((System.nanoTime() - start) / 1e9 * perSecond));
      while (published < due) {
        channels[(int) (published % channels.length)].publish("m", payload());
        published++;
      }
      if (published >= total) {
        finish();
      }
    }

    void finish() {
      if (done) {
        return;
      }
      done = true;
      if (future != null) {
        future.cancel(false);
      }
      answer("PUBLISHED " + id + " " + published + " " + (System.nanoTime() - start) / 1_000_000);
    }
  }
}
