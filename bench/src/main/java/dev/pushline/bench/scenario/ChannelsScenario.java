package dev.pushline.bench.scenario;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Personal channels: many channels, few subscribers each. Defaults: 10,000 channels {@code user:0..9999},
 * 5,000 connections, each subscribed to 4 of them, every channel with exactly 2 subscribers: as if 2,500
 * users had 4 personal channels each (inbox, notifications, ...) and 2 devices each (connection {@code c}
 * takes channels {@code 4c .. 4c+3} mod 10,000, so connections {@code c} and {@code c + 2,500} are one
 * user's). 20,000 subscriptions over 5,000 sockets fit a 2-core box that also runs the clients; one socket
 * per subscription (20,000) would measure the box's socket handling more than Pushline's channels.
 *
 * <p>The server publishes round-robin over all channels at a fixed total rate (default 2,000/s, so each
 * channel gets one every 5 s and 4,000 deliveries/s leave the server) for a fixed time (60 s; 20 s with
 * {@code --quick}). Each client checks every channel's offsets (no gap, no duplicate) and, at the end,
 * that it received everything up to the channel's final offset; latency is the server's
 * {@code System.nanoTime()} in the payload against the client's.
 *
 * <p>Server heap after full GC is read four times: empty; with the channels created (cost per channel);
 * with every connection subscribed, idle (cost per connection, its subscriptions included); after
 * publishing (history: cost per kept publication); then again once every client is gone.
 *
 * <p>Options: {@code --channels 10000 --connections 5000 --per-connection 4 --rate 2000 --duration 60s
 * --parallel 200 --timeout 180s}.
 */
final class ChannelsScenario {

  private ChannelsScenario() {}

  static Report run(Options o, Path dir) throws Exception {
    boolean quick = o.flag("quick");
    int nChannels = o.positive("channels", 10_000);
    int nConns = o.positive("connections", 5_000);
    int perConn = o.positive("per-connection", 4);
    int rate = o.positive("rate", 2_000);
    Duration duration = o.duration("duration", Duration.ofSeconds(quick ? 20 : 60));
    int parallel = o.positive("parallel", 200);
    Duration timeout = o.duration("timeout", Duration.ofSeconds(180));
    String jvm = o.string("server-jvm", "-Xmx1g");
    o.requireAllUsed();
    long subscriptions = (long) nConns * perConn;
    if (perConn > nChannels || perConn > 1024 || subscriptions % nChannels != 0) {
      throw new IllegalArgumentException("connections × per-connection is " + subscriptions + " over "
          + nChannels + " channels; it must be a multiple of the channels, and per-connection at most "
          + "min(channels, 1024), so that every channel has the same number of subscribers");
    }
    long perChannel = subscriptions / nChannels;
    Report report = new Report("channels", String.format("channels=%d connections=%d per-connection=%d "
        + "(subscribers per channel %d) rate=%d/s duration=%s server-jvm=%s", nChannels, nConns, perConn,
        perChannel, rate, Report.fmt(duration), jvm));

    try (ServerProcess server = ServerProcess.start(jvm, dir.resolve("server-channels.log"))) {
      URI uri = URI.create("ws://127.0.0.1:" + server.port + "/pushline");
      long h0 = server.heap().heapBytes();
      server.call("create user: " + nChannels, "CREATED", Duration.ofSeconds(60));
      long h1 = server.heap().heapBytes();

      // Connect and subscribe, at most `parallel` connections opening at a time.
      HttpClient http = Scenarios.httpClient(2);
      Latencies latencies = new Latencies();
      Counter delivered = new Counter();
      Counter subscribed = new Counter();
      AtomicLong failures = new AtomicLong();
      Semaphore opening = new Semaphore(parallel);
      AtomicIntegerArray acks = new AtomicIntegerArray(nConns);
      List<LoadClient> clients = new ArrayList<>(nConns);
      long deadline = System.nanoTime() + timeout.toNanos();
      long t0 = System.nanoTime();
      for (int c = 0; c < nConns; c++) {
        if (!opening.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          break;
        }
        LoadClient client = new LoadClient(c, http, uri, latencies, new LoadClient.Events() {
          @Override
          public void onSubscribed(LoadClient cl, String channel, Boolean recovered) {
            subscribed.increment();
            if (acks.incrementAndGet(cl.index) == perConn) {
              opening.release();
            }
          }

          @Override
          public void onPublication(LoadClient cl, String channel, long offset) {
            delivered.increment();
          }
        });
        clients.add(client);
        int first = (int) ((long) c * perConn % nChannels);
        client.connect(Duration.ofSeconds(30)).whenComplete((v, e) -> {
          if (e != null) {
            failures.incrementAndGet();
            opening.release();
            return;
          }
          for (int k = 0; k < perConn; k++) {
            client.subscribe("user:" + (first + k) % nChannels, false);
          }
        });
      }
      long got = subscribed.awaitAtLeast(subscriptions, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      double connectSeconds = (System.nanoTime() - t0) / 1e9;
      report.add("connections subscribed", String.format("%,d of %,d (%,d subscriptions) in %.1f s: %,.0f "
          + "connections/s; connect failures %d", got / perConn, nConns, got, connectSeconds,
          got / perConn / connectSeconds, failures.get()));
      if (got < subscriptions) {
        report.check("every connection subscribed within " + Report.fmt(timeout), false, got + " of " + subscriptions);
        return report;
      }
      ServerProcess.Snapshot idle = server.heap();
      long h2 = idle.heapBytes();

      // Publish for `duration`, then wait until every client has everything up to each final offset.
      ServerProcess.Snapshot before = server.stats();
      long cpuLoad0 = Report.loadJvmCpuMillis();
      long p0 = System.nanoTime();
      server.call("publish p user: " + nChannels + " " + rate + " " + duration.toMillis() / 1000.0, "PUBLISHING p",
          Duration.ofSeconds(10));
      String[] published = server.await("PUBLISHED p", duration.plusSeconds(60)).split(" ");
      long count = Long.parseLong(published[2]);
      long publishMillis = Long.parseLong(published[3]);
      long[] finals = server.offsets("user:", nChannels);
      long expected = 0;
      for (int c = 0; c < nConns; c++) {
        for (var e : clients.get(c).streams().entrySet()) {
          int ch = Integer.parseInt(e.getKey().substring("user:".length()));
          expected += finals[ch] - e.getValue().first;
        }
      }
      long received = delivered.awaitAtLeast(expected, Duration.ofSeconds(30));
      double wallSeconds = (System.nanoTime() - p0) / 1e9;
      ServerProcess.Snapshot after = server.stats();
      long cpuLoad = Report.loadJvmCpuMillis() - cpuLoad0;
      long gaps = 0;
      long dups = 0;
      long short_ = 0;
      for (LoadClient client : clients) {
        for (var e : client.streams().entrySet()) {
          LoadClient.Stream s = e.getValue();
          gaps += s.gaps;
          dups += s.duplicates;
          int ch = Integer.parseInt(e.getKey().substring("user:".length()));
          short_ += finals[ch] - s.last;
        }
      }
      long h3 = server.heap().heapBytes();

      for (LoadClient client : clients) {
        client.abort();
      }
      long conns = -1;
      for (int i = 0; i < 150 && conns != 0; i++) { // bounded: 30 s
        Thread.sleep(200);
        conns = server.stats().get("connections");
      }
      long h4 = server.heap().heapBytes();

      report.add("server heap after GC: empty → channels created → all subscribed (idle) → after publishing "
          + "→ all disconnected", Report.mib(h0) + " → " + Report.mib(h1) + " → " + Report.mib(h2) + " → "
          + Report.mib(h3) + " → " + Report.mib(h4));
      report.add("heap per channel (created, empty)", Report.kib((h1 - h0) / nChannels));
      report.add("heap per idle connection with " + perConn + " subscriptions", Report.kib((h2 - h1) / nConns));
      report.add("heap per kept publication (history, " + String.format("%,d", count) + " kept)",
          count > 0 ? String.format("%,d bytes", (h3 - h2) / count) : "n/a");
      report.add("publications", String.format("%,d in %.1f s (server's wall time; offered %,d/s)", count,
          publishMillis / 1000.0, rate));
      report.add("deliveries", String.format("%,d of %,d expected; %,.0f/s over %.1f s from the publish "
          + "command to the last delivery", received, expected, received / wallSeconds, wallSeconds));
      report.add("latency p50 / p99 / max ms (server nanoTime in payload → client)", latencies.summaryMillis());
      report.add("server CPU while publishing", String.format("%,d ms (%.0f %% of one core); load JVM %,d ms",
          after.get("cpuMs") - before.get("cpuMs"), 100.0 * (after.get("cpuMs") - before.get("cpuMs"))
          / (wallSeconds * 1000), cpuLoad));
      report.add("server after: connections / channels / fds / threads", conns + " / "
          + after.get("channels") + " / " + idle.get("fds") + " (subscribed) / " + idle.get("threads"));
      report.check("lost = 0 (every subscription got everything up to the channel's final offset)",
          short_ == 0 && received == expected, "lost " + short_ + ", received " + received + " of " + expected);
      report.check("gaps = 0 and duplicates = 0", gaps == 0 && dups == 0, "gaps " + gaps + ", duplicates " + dups);
      report.check("no slow-consumer disconnect", after.get("slowConsumerDisconnects") == 0,
          after.get("slowConsumerDisconnects"));
    }
    return report;
  }
}
