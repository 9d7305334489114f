package dev.pushline.bench.scenario;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Connection churn: for a fixed time (default 3 min; 30 s with {@code --quick}) new connections arrive at a
 * steady rate (default 200/s); each subscribes to one of a pool of shared channels ({@code churn:0..15},
 * published at 160/s in all, so 10/s each), waits for 3 publications, and leaves: half with a clean
 * WebSocket close, half aborted without a Close frame (a network failure), so both of the server's close
 * paths run. A connection that has not had its 3 publications after 5 s leaves anyway (counted). With
 * {@code --personal} each also subscribes to a channel of its own, {@code visitor:<n>}, which the server
 * must create and then forget.
 *
 * <p>Meanwhile 100 stable subscribers of {@code stream:0} (50 publications/s) check that the stream has
 * no gap and no duplicate, and that they end with every publication up to the final offset.
 *
 * <p>Before the measured run, every channel's history is filled (1,000 publications each, the default
 * history size) so that history growth is not read as a leak, and a 5 s warm-up of churn loads the
 * close paths' classes. Server heap after full GC, open descriptors ({@code /proc/<pid>/fd}) and threads
 * are read before the churn (with only the stable subscribers connected), every 30 s (10 s with
 * {@code --quick}) during it, and after it once the server is back to the stable connections. The heap is
 * flat when the final figure is within {@code --tolerance-kib} (1,024 KiB) of the first.
 *
 * <p>Options: {@code --duration 3m --rate 200 --sample 30s --warmup 5s --stable 100 --stream-rate 50
 * --pool 16 --pool-rate 160 --receive 3 --max-life 5s --abort-fraction 0.5 --personal --max-in-flight 2000
 * --tolerance-kib 1024 --connect-timeout 10s}.
 */
final class ChurnScenario {

  private ChurnScenario() {}

  static Report run(Options o, Path dir) throws Exception {
    boolean quick = o.flag("quick");
    Duration duration = o.duration("duration", quick ? Duration.ofSeconds(30) : Duration.ofMinutes(3));
    int rate = o.positive("rate", 200);
    Duration sample = o.duration("sample", Duration.ofSeconds(quick ? 10 : 30));
    Duration warmup = o.duration("warmup", Duration.ofSeconds(5));
    int stable = o.positive("stable", 100);
    int streamRate = o.positive("stream-rate", 50);
    int pool = o.positive("pool", 16);
    int poolRate = o.positive("pool-rate", 160);
    int receive = o.positive("receive", 3);
    Duration maxLife = o.duration("max-life", Duration.ofSeconds(5));
    double abortFraction = o.fraction("abort-fraction", 0.5);
    boolean personal = o.flag("personal");
    int maxInFlight = o.positive("max-in-flight", 2_000);
    int toleranceKib = o.positive("tolerance-kib", 1_024);
    Duration connectTimeout = o.duration("connect-timeout", Duration.ofSeconds(10));
    String jvm = o.string("server-jvm", "-Xmx1g");
    o.requireAllUsed();
    if (sample.isZero()) {
      throw new IllegalArgumentException("--sample is 0; it must be > 0");
    }
    Report report = new Report("churn", String.format("duration=%s rate=%d/s receive=%d max-life=%s "
        + "abort-fraction=%.2f personal=%s stable=%d stream-rate=%d/s pool=%d pool-rate=%d/s server-jvm=%s",
        Report.fmt(duration), rate, receive, Report.fmt(maxLife), abortFraction, personal, stable, streamRate, pool, poolRate, jvm));

    try (ServerProcess server = ServerProcess.start(jvm, dir.resolve("server-churn.log"))) {
      URI uri = URI.create("ws://127.0.0.1:" + server.port + "/pushline");
      server.call("create stream: 1", "CREATED", Duration.ofSeconds(10));
      server.call("create churn: " + pool, "CREATED", Duration.ofSeconds(10));
      server.call("fill stream: 1 1000", "FILLED", Duration.ofSeconds(60));
      server.call("fill churn: " + pool + " 1000", "FILLED", Duration.ofSeconds(60));
      HttpClient http = Scenarios.httpClient(2);

      // The stable subscribers, and the steady streams.
      Latencies stableLatency = new Latencies();
      Counter stableSubscribed = new Counter();
      Counter stableDelivered = new Counter();
      AtomicLong stableClosed = new AtomicLong();
      List<LoadClient> stables = new ArrayList<>();
      for (int i = 0; i < stable; i++) {
        LoadClient c = new LoadClient(i, http, uri, stableLatency, new LoadClient.Events() {
          @Override
          public void onSubscribed(LoadClient cl, String channel, Boolean recovered) {
            stableSubscribed.increment();
          }

          @Override
          public void onPublication(LoadClient cl, String channel, long offset) {
            stableDelivered.increment();
          }

          @Override
          public void onClosed(LoadClient cl, int code) {
            stableClosed.incrementAndGet();
          }
        });
        stables.add(c);
        c.connect(Duration.ofSeconds(30)).thenRun(() -> c.subscribe("stream:0", false));
      }
      if (stableSubscribed.awaitAtLeast(stable, Duration.ofSeconds(60)) < stable) {
        report.check("stable subscribers subscribed", false, stableSubscribed.get() + " of " + stable);
        return report;
      }
      server.call("publish s stream: 1 " + streamRate + " 100000", "PUBLISHING s", Duration.ofSeconds(10));
      server.call("publish p churn: " + pool + " " + poolRate + " 100000", "PUBLISHING p", Duration.ofSeconds(10));

      Churn warm = new Churn(http, uri, rate, pool, receive, maxLife, abortFraction, personal, maxInFlight, connectTimeout);
      warm.run(warmup);
      warm.awaitIdle(Duration.ofSeconds(30));
      long settled = awaitConnections(server, stable, Duration.ofSeconds(30));

      List<String> curve = new ArrayList<>();
      ServerProcess.Snapshot before = server.heap();
      curve.add(String.format("0 s: %s (%d conns)", Report.mib(before.heapBytes()), before.get("connections")));
      long maxDuring = before.heapBytes();
      Churn churn = new Churn(http, uri, rate, pool, receive, maxLife, abortFraction, personal, maxInFlight, connectTimeout);
      long start = System.nanoTime();
      Thread launcher = new Thread(() -> churn.run(duration), "churn-launcher");
      launcher.setDaemon(true);
      launcher.start();
      for (long k = 1; k * sample.toNanos() < duration.toNanos(); k++) {
        long wait = start + k * sample.toNanos() - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        ServerProcess.Snapshot s = server.heap();
        maxDuring = Math.max(maxDuring, s.heapBytes());
        curve.add(String.format("%d s: %s (%d conns)", (System.nanoTime() - start) / 1_000_000_000,
            Report.mib(s.heapBytes()), s.get("connections")));
      }
      launcher.join(duration.toMillis() + 30_000);
      double churnSeconds = (System.nanoTime() - start) / 1e9;
      boolean idle = churn.awaitIdle(Duration.ofSeconds(30));
      long connsAfter = awaitConnections(server, stable, Duration.ofSeconds(30));
      ServerProcess.Snapshot after = server.heap();
      curve.add(String.format("after, %d s: %s (%d conns)", (System.nanoTime() - start) / 1_000_000_000,
          Report.mib(after.heapBytes()), after.get("connections")));

      // Stop the streams; every stable subscriber must end with every publication of stream:0.
      server.send("stop s");
      server.send("stop p");
      server.await("PUBLISHED s", Duration.ofSeconds(10));
      server.await("PUBLISHED p", Duration.ofSeconds(10));
      long finalOffset = server.offsets("stream:", 1)[0];
      long expected = 0;
      for (LoadClient c : stables) {
        expected += finalOffset - c.streams().get("stream:0").first;
      }
      long stableGot = stableDelivered.awaitAtLeast(expected, Duration.ofSeconds(30));
      long stableGaps = 0;
      long stableDups = 0;
      for (LoadClient c : stables) {
        LoadClient.Stream s = c.streams().get("stream:0");
        stableGaps += s.gaps;
        stableDups += s.duplicates;
      }

      long growth = after.heapBytes() - before.heapBytes();
      report.add("churn", String.format("%,d connections launched in %.1f s (%,.0f/s); %,d subscribed; %,d got "
          + "%d publications; %,d left at max-life; %,d connect failures; %,d closed by the server; %,d clean "
          + "closes, %,d aborts; in-flight cap hit %,d times", churn.launched.get(), churnSeconds,
          churn.launched.get() / churnSeconds, churn.subscribed.get(), churn.completed.get(), receive,
          churn.timedOut.get(), churn.failedConnect.get(), churn.unexpectedClose.get(), churn.clean.get(),
          churn.aborted.get(), churn.throttled.get()));
      report.add("connect → subscribed p50 / p99 / max ms", churn.subscribeLatency.summaryMillis());
      report.add("server heap after GC (curve)", String.join("; ", curve));
      report.add("heap growth over the run", String.format("%s (highest during the run: %s)", Report.kib(growth),
          Report.mib(maxDuring)));
      report.add("server fds / threads / channels before → after", before.get("fds") + " → " + after.get("fds")
          + " / " + before.get("threads") + " → " + after.get("threads") + " / " + before.get("channels") + " → "
          + after.get("channels"));
      report.add("stable subscribers", String.format("%d; %,d of %,d publications (stream:0 final offset %,d); "
          + "latency p50 / p99 / max ms %s; closed by the server %d", stable, stableGot, expected, finalOffset,
          stableLatency.summaryMillis(), stableClosed.get()));
      report.add("warm-up", String.format("%s, %,d connections (connect failures %d, closed by the server %d); "
          + "server connections after it %d (stable %d)", Report.fmt(warmup), warm.launched.get(),
          warm.failedConnect.get(), warm.unexpectedClose.get(), settled, stable));
      report.check("heap flat: after ≤ before + " + toleranceKib + " KiB", growth <= toleranceKib * 1024L,
          Report.kib(growth));
      report.check("server connections back to the stable " + stable, connsAfter == stable && idle,
          connsAfter + (idle ? "" : "; load side still had connections in flight"));
      report.check("server fds back to where they were", after.get("fds") <= before.get("fds"),
          before.get("fds") + " → " + after.get("fds"));
      report.check("stable subscribers: no gap, no duplicate, nothing lost", stableGaps == 0 && stableDups == 0
          && stableGot == expected && stableClosed.get() == 0, "gaps " + stableGaps + ", duplicates " + stableDups
          + ", received " + stableGot + " of " + expected);
      report.check("churn subscriptions: no gap, no duplicate", churn.gaps.get() == 0 && churn.duplicates.get() == 0,
          "gaps " + churn.gaps.get() + ", duplicates " + churn.duplicates.get());
      report.check("every churn connection connected and subscribed", churn.failedConnect.get() == 0
          && churn.unexpectedClose.get() == 0 && churn.subscribed.get() == churn.launched.get(),
          "connect failures " + churn.failedConnect.get() + ", closed by the server "
          + churn.unexpectedClose.get() + ", subscribed " + churn.subscribed.get() + " of " + churn.launched.get());
      for (LoadClient c : stables) {
        c.abort();
      }
    }
    return report;
  }

  /** Polls the server's connection count until it is {@code want} (bounded); returns the last count. */
  private static long awaitConnections(ServerProcess server, long want, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long n = server.stats().get("connections");
    while (n != want && System.nanoTime() < deadline) {
      Thread.sleep(200);
      n = server.stats().get("connections");
    }
    return n;
  }

  /**
   * Launches churn connections at a fixed rate for a fixed time and follows each through its life.
   *
   * <p>Thread-safe: counters are atomic; {@link #run} runs on one thread, the connections' callbacks on
   * the HttpClient's threads and the life timer.
   */
  private static final class Churn {
    final HttpClient http;
    final URI uri;
    final int rate;
    final int pool;
    final int receive;
    final Duration maxLife;
    final double abortFraction;
    final boolean personal;
    final int maxInFlight;
    final Duration connectTimeout;
    final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "churn-timer");
      t.setDaemon(true);
      return t;
    });
    final AtomicLong launched = new AtomicLong();
    final AtomicLong subscribed = new AtomicLong();
    final AtomicLong completed = new AtomicLong();
    final AtomicLong timedOut = new AtomicLong();
    final AtomicLong failedConnect = new AtomicLong();
    final AtomicLong unexpectedClose = new AtomicLong();
    final AtomicLong clean = new AtomicLong();
    final AtomicLong aborted = new AtomicLong();
    final AtomicLong throttled = new AtomicLong();
    final AtomicLong gaps = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicInteger inFlight = new AtomicInteger();
    final Latencies subscribeLatency = new Latencies();

    Churn(HttpClient http, URI uri, int rate, int pool, int receive, Duration maxLife, double abortFraction,
        boolean personal, int maxInFlight, Duration connectTimeout) {
      this.http = http;
      this.uri = uri;
      this.rate = rate;
      this.pool = pool;
      this.receive = receive;
      this.maxLife = maxLife;
      this.abortFraction = abortFraction;
      this.personal = personal;
      this.maxInFlight = maxInFlight;
      this.connectTimeout = connectTimeout;
      timer.setRemoveOnCancelPolicy(true);
    }

    /** Launches connections at {@link #rate} per second for {@code duration}; returns when done launching. */
    void run(Duration duration) {
      long start = System.nanoTime();
      long end = start + duration.toNanos();
      long seq = 0;
      while (System.nanoTime() < end) {
        long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
        while (seq < due) {
          if (inFlight.get() >= maxInFlight) {
            throttled.incrementAndGet();
            break;
          }
          launch(seq++);
        }
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    /** Waits until every launched connection has ended (bounded); true if they all have. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (inFlight.get() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      return inFlight.get() == 0;
    }

    private void launch(long seq) {
      launched.incrementAndGet();
      inFlight.incrementAndGet();
      String channel = "churn:" + seq % pool;
      boolean abort = seq % 1000 < abortFraction * 1000;
      long t0 = System.nanoTime();
      AtomicBoolean done = new AtomicBoolean();
      AtomicInteger got = new AtomicInteger();
      AtomicReference<ScheduledFuture<?>> life = new AtomicReference<>();
      LoadClient client = new LoadClient((int) seq, http, uri, null, new LoadClient.Events() {
        @Override
        public void onSubscribed(LoadClient c, String ch, Boolean recovered) {
          if (ch.equals(channel)) {
            subscribed.incrementAndGet();
            subscribeLatency.record((System.nanoTime() - t0) / 1000);
          }
        }

        @Override
        public void onPublication(LoadClient c, String ch, long offset) {
          if (ch.equals(channel) && got.incrementAndGet() == receive && leave(c, abort, done, life)) {
            completed.incrementAndGet();
          }
        }

        @Override
        public void onClosed(LoadClient c, int code) {
          if (done.compareAndSet(false, true)) { // closed before it chose to leave
            unexpectedClose.incrementAndGet();
            finish(c, life);
          }
        }
      });
      life.set(timer.schedule(() -> {
        if (leave(client, abort, done, life)) {
          timedOut.incrementAndGet();
        }
      }, maxLife.toMillis(), TimeUnit.MILLISECONDS));
      client.connect(connectTimeout).whenComplete((v, e) -> {
        if (e != null) {
          if (done.compareAndSet(false, true)) {
            failedConnect.incrementAndGet();
            client.abort();
            finish(client, life);
          }
          return;
        }
        client.subscribe(channel, false);
        if (personal) {
          client.subscribe("visitor:" + seq, false);
        }
      });
    }

    /** Leaves once: aborts, or closes cleanly and waits (bounded) for the server's Close. */
    private boolean leave(LoadClient c, boolean abort, AtomicBoolean done,
        AtomicReference<ScheduledFuture<?>> life) {
      if (!done.compareAndSet(false, true)) {
        return false;
      }
      if (abort) {
        aborted.incrementAndGet();
        c.abort();
        finish(c, life);
      } else {
        clean.incrementAndGet();
        c.closeCleanly(Duration.ofSeconds(5)).whenComplete((v, e) -> finish(c, life));
      }
      return true;
    }

    private void finish(LoadClient c, AtomicReference<ScheduledFuture<?>> life) {
      ScheduledFuture<?> f = life.get();
      if (f != null) {
        f.cancel(false);
      }
      for (LoadClient.Stream s : c.streams().values()) {
        gaps.addAndGet(s.gaps);
        duplicates.addAndGet(s.duplicates);
      }
      inFlight.decrementAndGet();
    }
  }
}
