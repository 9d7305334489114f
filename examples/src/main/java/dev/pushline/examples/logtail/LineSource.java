package dev.pushline.examples.logtail;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * Where the demo's log lines come from: a followed file ({@link LogTailer}) or a generated sample log
 * ({@link SampleLogGenerator}).
 *
 * <p>A source does no waiting and starts no thread. Whoever owns it calls {@link #poll()} whenever it
 * likes, on a schedule in the demo and directly in tests, and gets whatever became available since the
 * last call.
 *
 * <p>Not thread-safe; confine to one thread (or call it under one lock, as {@link LinePump} does).
 */
interface LineSource extends Closeable {

  /**
   * The complete lines that became available since the last call, oldest first, without line
   * terminators; empty when there are none. Never blocks for long.
   *
   * @throws IOException if the source cannot be read now; a later call may succeed
   */
  List<String> poll() throws IOException;

  /** What this source is, for people: a file name or "generated sample log". */
  String description();
}
