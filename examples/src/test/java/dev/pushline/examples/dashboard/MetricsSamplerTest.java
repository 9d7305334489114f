package dev.pushline.examples.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.ServerStats;
import dev.pushline.examples.logtail.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link MetricsSampler} over counters and a clock the test moves. */
class MetricsSamplerTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2025-11-26T09:30:00Z"), ZoneOffset.UTC);
  private final List<ServerMetrics> sunk = new ArrayList<>();
  private ServerStats stats = stats(0, 0, 0, 0, 0);
  private final MetricsSampler sampler = new MetricsSampler(() -> stats, clock, 3, sunk::add);

  @Test
  void theFirstSampleOnlySetsTheCountersToCountFrom() {
    stats = stats(2, 1_000, 5_000, 100_000, 0);

    assertEquals(Optional.empty(), sampler.sample());
    assertEquals(List.of(), sunk);
  }

  @Test
  void ratesArePerSecondOfTheClocksTimeBetweenTwoSamples() {
    stats = stats(1, 1_000, 5_000, 100_000, 0);
    sampler.sample();
    clock.advance(Duration.ofMillis(2_000));
    stats = stats(3, 1_601, 6_201, 150_000, 4_096);

    ServerMetrics m = sampler.sample().orElseThrow();

    assertEquals(List.of(m), sunk);
    assertEquals(clock.millis(), m.time());
    assertEquals(3, m.connections());
    assertEquals(300.5, m.publicationsPerSecond());
    assertEquals(600.5, m.deliveriesPerSecond());
    assertEquals(25_000.0, m.bytesOutPerSecond());
    assertEquals(4_096, m.queuedBytes());
    assertEquals(List.of(new ServerMetrics.Rates(clock.millis(), 300.5, 600.5)), m.recent());
  }

  @Test
  void eachCarriesTheRatesOfTheLastWindowSamplesOldestFirst() {
    sampler.sample();
    for (int i = 1; i <= 5; i++) {
      clock.advance(Duration.ofSeconds(1));
      stats = stats(1, 100L * i * i, 0, 0, 0);
      sampler.sample();
    }

    List<ServerMetrics.Rates> recent = sunk.get(sunk.size() - 1).recent();
    assertEquals(List.of(500.0, 700.0, 900.0), recent.stream().map(ServerMetrics.Rates::publicationsPerSecond).toList());
    assertEquals(clock.millis(), recent.get(2).time());
    assertTrue(recent.get(0).time() < recent.get(1).time());
  }

  @Test
  void aSampleTakenBeforeTheClockMovedIsSkipped() {
    sampler.sample();
    stats = stats(1, 10, 10, 10, 0);

    assertEquals(Optional.empty(), sampler.sample());

    clock.advance(Duration.ofMillis(500));
    assertEquals(20.0, sampler.sample().orElseThrow().publicationsPerSecond(), "counted from the first sample");
  }

  private static ServerStats stats(int connections, long publications, long deliveries, long bytesOut, long queued) {
    return new ServerStats(connections, connections, 21, connections * 21, 0, publications, 0, deliveries,
        bytesOut, 0, Map.of(), Map.of(), 0, 0, 0, 0, queued, queued, 0);
  }
}
