package dev.pushline.bench.scenario;

import dev.pushline.Publication;
import dev.pushline.client.PushClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Resume storm: 1,000 clients, each subscribed to one of 10 channels ({@code storm:0..9}) that the server
 * publishes to at 100/s in all, are all closed by the server at once with 3000 (RECONNECT, the host's
 * {@code ClientConnection.close(3000, ...)}) while publishing goes on; they all come back at once and
 * resume with {@code since}. Measured: the time from the kick until every client has its {@code subscribed}
 * reply again, how many were recovered, that no publication was lost, skipped or repeated up to each
 * channel's final offset, and the server's CPU time during the storm against its steady rate.
 *
 * <ul>
 *   <li>{@code --client pushclient} (default): Pushline's {@link PushClient} as shipped, reconnecting after
 *       its backoff with jitter (first delay 250–500 ms). {@code PushClient} drops duplicates itself, so a
 *       duplicate sent by the server would not be seen in this variant; gaps would.
 *   <li>{@code --client raw}: {@link LoadClient}s that reconnect the instant they are closed, with no
 *       delay and no jitter, and see every frame the server sends, duplicates included.
 * </ul>
 *
 * <p>Options: {@code --clients 1000 --channels 10 --rate 100 --client pushclient|raw --steady 10s --after 5s
 * --timeout 60s --parallel 100}.
 */
final class StormScenario {

  private StormScenario() {}

  /** One client's view of its channel's stream. */
  private record Tally(long first, long last, long received, long gaps, long duplicates, long recovered,
      long notRecovered) {}

  /** One client of the storm, of either kind. */
  private interface Member {
    Tally tally();

    void stop();
  }

  /** Counters shared by every member. Thread-safe. */
  private static final class Shared {
    final Counter fresh = new Counter();
    final Counter resubscribed = new Counter();
    final Latencies resubscribeTimes = new Latencies();
    final Latencies closeSeenTimes = new Latencies();
    final Latencies welcomeTimes = new Latencies();
    final Latencies reconnectDelays = new Latencies();
    final AtomicLong attempts = new AtomicLong();
    final AtomicLong failedReconnects = new AtomicLong();
    final Semaphore opening;
    volatile long kickAt; // System.nanoTime() of the kick; set before it is sent

    Shared(int parallel) {
      opening = new Semaphore(parallel);
    }

    void subscribedFresh() {
      fresh.increment();
      opening.release();
    }

    void closeSeen() {
      closeSeenTimes.record((System.nanoTime() - kickAt) / 1000);
    }

    void welcomedAfterKick() {
      welcomeTimes.record((System.nanoTime() - kickAt) / 1000);
    }

    void resubscribedAfterKick() {
      resubscribeTimes.record((System.nanoTime() - kickAt) / 1000);
      resubscribed.increment();
    }
  }

  static Report run(Options o, Path dir) throws Exception {
    boolean quick = o.flag("quick");
    int nClients = o.positive("clients", 1_000);
    int nChannels = o.positive("channels", 10);
    int rate = o.positive("rate", 100);
    String kind = o.string("client", "pushclient");
    Duration steady = o.duration("steady", Duration.ofSeconds(quick ? 3 : 10));
    Duration after = o.duration("after", Duration.ofSeconds(quick ? 3 : 5));
    Duration timeout = o.duration("timeout", Duration.ofSeconds(60));
    int parallel = o.positive("parallel", 100);
    String jvm = o.string("server-jvm", "-Xmx1g");
    o.requireAllUsed();
    if (!kind.equals("pushclient") && !kind.equals("raw")) {
      throw new IllegalArgumentException("--client is \"" + kind + "\"; it must be pushclient or raw");
    }
    Report report = new Report("storm (" + kind + ")", String.format("clients=%d channels=%d rate=%d/s client=%s "
        + "steady=%s after=%s server-jvm=%s", nClients, nChannels, rate, kind, Report.fmt(steady), Report.fmt(after), jvm));

    try (ServerProcess server = ServerProcess.start(jvm, dir.resolve("server-storm-" + kind + ".log"))) {
      URI uri = URI.create("ws://127.0.0.1:" + server.port + "/pushline");
      server.call("create storm: " + nChannels, "CREATED", Duration.ofSeconds(10));
      server.call("fill storm: " + nChannels + " 100", "FILLED", Duration.ofSeconds(30));
      server.call("publish s storm: " + nChannels + " " + rate + " 100000", "PUBLISHING s", Duration.ofSeconds(10));

      Shared shared = new Shared(parallel);
      HttpClient http = Scenarios.httpClient(2);
      ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "storm-retry");
        t.setDaemon(true);
        return t;
      });
      List<Member> members = new ArrayList<>(nClients);
      String[] channelOf = new String[nClients];
      long deadline = System.nanoTime() + timeout.toNanos();
      for (int i = 0; i < nClients; i++) {
        if (!shared.opening.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          break;
        }
        channelOf[i] = "storm:" + i % nChannels;
        members.add(kind.equals("raw") ? raw(i, channelOf[i], http, uri, shared, retry)
            : pushClient(channelOf[i], uri, shared));
      }
      if (shared.fresh.awaitAtLeast(nClients, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))
          < nClients) {
        report.check("every client subscribed", false, shared.fresh.get() + " of " + nClients);
        members.forEach(Member::stop);
        return report;
      }
      long attemptsBefore = shared.attempts.get();

      // Steady state: the server's CPU rate while publishing to everyone, for comparison.
      ServerProcess.Snapshot s0 = server.stats();
      long w0 = System.nanoTime();
      Thread.sleep(steady.toMillis());
      ServerProcess.Snapshot s1 = server.stats();
      long w1 = System.nanoTime();
      double steadyCpuPerMs = (s1.get("cpuMs") - s0.get("cpuMs")) / ((w1 - w0) / 1e6);

      shared.kickAt = System.nanoTime();
      System.err.println("# storm: kick at " + java.time.Instant.now());
      String[] kicked = server.call("kick storm:", "KICKED", Duration.ofSeconds(30)).split(" ");
      long got = shared.resubscribed.awaitAtLeast(nClients, timeout);
      long stormNanos = System.nanoTime() - shared.kickAt;
      ServerProcess.Snapshot s2 = server.stats();
      ServerProcess.Snapshot serverSide = ServerProcess.Snapshot.parse(server.call("kickstats", "KICKSTATS",
          Duration.ofSeconds(10)));
      long stormCpu = s2.get("cpuMs") - s1.get("cpuMs");
      double windowMs = (System.nanoTime() - w1) / 1e6; // from s1 to s2: the kick, the storm, the stats calls
      Thread.sleep(after.toMillis());

      server.send("stop s");
      server.await("PUBLISHED s", Duration.ofSeconds(10));
      long[] finals = server.offsets("storm:", nChannels);
      long expected = 0;
      for (int i = 0; i < members.size(); i++) {
        expected += finals[i % nChannels] - members.get(i).tally().first();
      }
      long received = awaitReceived(members, expected, Duration.ofSeconds(30));
      ServerProcess.Snapshot s3 = server.stats();
      long gaps = 0;
      long dups = 0;
      long recovered = 0;
      long notRecovered = 0;
      long behind = 0;
      for (int i = 0; i < members.size(); i++) {
        Tally t = members.get(i).tally();
        gaps += t.gaps();
        dups += t.duplicates();
        recovered += t.recovered();
        notRecovered += t.notRecovered();
        behind += finals[i % nChannels] - t.last();
      }
      members.forEach(Member::stop);

      report.add("kicked (server: close(3000) on each)", String.format("%,d connections in %.1f ms",
          Long.parseLong(kicked[1]), Long.parseLong(kicked[2]) / 1000.0));
      report.add("kick → every client subscribed again", got < nClients
          ? String.format("**only %,d of %,d within %s**", got, nClients, Report.fmt(timeout))
          : String.format("%,.0f ms", stormNanos / 1e6));
      report.add("kick → a client sees the Close frame, p50 / p99 / max ms", shared.closeSeenTimes.summaryMillis());
      report.add("kick → its new connection's welcome, p50 / p99 / max ms", shared.welcomeTimes.summaryMillis());
      report.add("kick → its subscribed reply, p50 / p99 / max ms", shared.resubscribeTimes.summaryMillis());
      report.add("server side: kick → onOpen of the new connections, p50 / p99 / max ms", String.format(
          "%.1f / %.1f / %.1f (%d opened)", serverSide.get("openP50Us") / 1000.0, serverSide.get("openP99Us") / 1000.0,
          serverSide.get("openMaxUs") / 1000.0, serverSide.get("opens")));
      report.add("server side: kick → every resume answered", serverSide.get("resumedAllUs") < 0 ? "not within the run"
          : String.format("%,.0f ms", serverSide.get("resumedAllUs") / 1000.0));
      if (kind.equals("pushclient")) {
        report.add("PushClient reconnect delays (backoff + jitter) p50 / p99 / max ms",
            shared.reconnectDelays.summaryMillis());
      }
      report.add("connection attempts after the kick", String.format("%,d (failed for good: %d)",
          shared.attempts.get() - attemptsBefore, shared.failedReconnects.get()));
      report.add("recovered / not recovered (clients)", recovered + " / " + notRecovered);
      report.add("recovered / not recovered (server counters)", s3.get("resumesRecovered") + " / "
          + s3.get("resumesNotRecovered"));
      report.add("server CPU, kick → all subscribed again", String.format("%,d ms over %,.0f ms: %.0f %% of one "
          + "core (steady publishing: %.0f %%)", stormCpu, windowMs, 100.0 * stormCpu / windowMs,
          100.0 * steadyCpuPerMs));
      report.add("publications received", String.format("%,d of %,d expected up to the final offsets (%s)",
          received, expected, joinOffsets(finals)));
      report.check("every client subscribed again within " + Report.fmt(timeout), got == nClients, got + " of " + nClients);
      report.check("every resume recovered", recovered == nClients && notRecovered == 0,
          recovered + " recovered, " + notRecovered + " not");
      report.check("no gap, no duplicate, nothing lost", gaps == 0 && dups == 0 && behind == 0
          && received == expected, "gaps " + gaps + ", duplicates " + dups + ", short of the final offset "
          + behind + ", received " + received + " of " + expected);
      report.check("no slow-consumer disconnect", s3.get("slowConsumerDisconnects") == 0,
          s3.get("slowConsumerDisconnects"));
      retry.shutdownNow();
    }
    return report;
  }

  private static long awaitReceived(List<Member> members, long expected, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long received;
    while (true) {
      received = 0;
      for (Member m : members) {
        received += m.tally().received();
      }
      if (received >= expected || System.nanoTime() > deadline) {
        return received;
      }
      Thread.sleep(100);
    }
  }

  private static String joinOffsets(long[] offsets) {
    StringBuilder sb = new StringBuilder("final offsets ");
    for (int i = 0; i < offsets.length && i < 3; i++) {
      sb.append(i == 0 ? "" : ", ").append(offsets[i]);
    }
    return sb.append(offsets.length > 3 ? ", ..." : "").toString();
  }

  /** A {@link PushClient} as shipped: default backoff and jitter; its handler checks the offsets. */
  private static Member pushClient(String channel, URI uri, Shared shared) {
    long[] t = {-1, -1, 0, 0, 0, 0, 0}; // first, last, received, gaps, duplicates, recovered, notRecovered
    PushClient pc = PushClient.builder().uri(uri).listener(new PushClient.Listener() {
      @Override
      public void onConnecting(PushClient client, int attempt) {
        shared.attempts.incrementAndGet();
      }

      @Override
      public void onDisconnected(PushClient client, int code, String reason, Throwable failure, Duration delay) {
        shared.closeSeen();
        shared.reconnectDelays.record(delay.toNanos() / 1000);
      }

      @Override
      public void onOpen(PushClient client, String connectionId) {
        if (shared.kickAt != 0) {
          shared.welcomedAfterKick();
        }
      }
    }).build();
    pc.connect();
    pc.subscribe(channel, new PushClient.SubscriptionHandler() {
      private boolean subscribedBefore; // callbacks run one at a time per client

      @Override
      public void onSubscribed(String ch, PushClient.StreamPosition position, PushClient.Recovery recovery) {
        synchronized (t) {
          switch (recovery) {
            case FRESH -> {
              if (t[0] < 0) {
                t[0] = position.offset();
              }
              t[1] = position.offset();
            }
            case RECOVERED -> t[5]++;
            case NOT_RECOVERED -> {
              t[6]++;
              t[1] = position.offset();
            }
          }
        }
        if (subscribedBefore) {
          shared.resubscribedAfterKick();
        } else {
          subscribedBefore = true;
          shared.subscribedFresh();
        }
      }

      @Override
      public void onPublication(Publication p) {
        synchronized (t) {
          if (p.offset() <= t[1]) {
            t[4]++;
            return;
          }
          if (p.offset() > t[1] + 1) {
            t[3] += p.offset() - t[1] - 1;
          }
          t[1] = p.offset();
          t[2]++;
        }
      }
    });
    return new Member() {
      @Override
      public Tally tally() {
        synchronized (t) {
          return new Tally(t[0], t[1], t[2], t[3], t[4], t[5], t[6]);
        }
      }

      @Override
      public void stop() {
        pc.close();
      }
    };
  }

  /** A {@link LoadClient} that reconnects and resumes with {@code since} the instant it is closed with 3000. */
  private static Member raw(int index, String channel, HttpClient http, URI uri, Shared shared,
      ScheduledExecutorService retry) {
    LoadClient lc = new LoadClient(index, http, uri, null, new LoadClient.Events() {
      @Override
      public void onSubscribed(LoadClient c, String ch, Boolean recovered) {
        if (recovered == null) {
          shared.subscribedFresh();
        } else {
          shared.resubscribedAfterKick();
        }
      }

      @Override
      public void onClosed(LoadClient c, int code) {
        if (code == 3000) {
          shared.closeSeen();
          reconnect(c, 1);
        }
      }

      private void reconnect(LoadClient c, int attempt) {
        shared.attempts.incrementAndGet();
        c.connect(Duration.ofSeconds(10)).whenComplete((v, e) -> {
          if (e == null) {
            shared.welcomedAfterKick();
            c.subscribe(channel, true);
          } else if (attempt < 5) { // bounded: 5 attempts, 100 ms apart
            retry.schedule(() -> reconnect(c, attempt + 1), 100, TimeUnit.MILLISECONDS);
          } else {
            shared.failedReconnects.incrementAndGet();
          }
        });
      }
    });
    shared.attempts.incrementAndGet();
    lc.connect(Duration.ofSeconds(10)).whenComplete((v, e) -> {
      if (e == null) {
        lc.subscribe(channel, false);
      } else {
        shared.opening.release();
      }
    });
    return new Member() {
      @Override
      public Tally tally() {
        LoadClient.Stream s = lc.streams().get(channel);
        return s == null ? new Tally(-1, -1, 0, 0, 0, 0, 0)
            : new Tally(s.first, s.last, s.received, s.gaps, s.duplicates, s.recovered, s.notRecovered);
      }

      @Override
      public void stop() {
        lc.abort();
      }
    };
  }
}
