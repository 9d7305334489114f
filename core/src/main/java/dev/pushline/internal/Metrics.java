package dev.pushline.internal;

import java.util.concurrent.atomic.LongAdder;

/** The engine's counters. Thread-safe. */
final class Metrics {
  final LongAdder slowConsumerDisconnects = new LongAdder();
  final LongAdder skipped = new LongAdder();
  final LongAdder resumesRecovered = new LongAdder();
  final LongAdder resumesNotRecovered = new LongAdder();
}
