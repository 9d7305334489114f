package dev.pushline.examples.logtail;

import dev.pushline.Channel;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves lines from a {@link LineSource} to a channel: each line becomes one publication of event
 * {@value #EVENT} whose data is a {@link LogLine}.
 *
 * <p>A source that cannot be read is reported at WARN once, and again only when the failure changes;
 * its recovery is reported at INFO. Polling goes on either way.
 *
 * <p>Thread-safe: {@link #pumpOnce()} is serialised, so the demo's scheduler and a test may both call it.
 */
final class LinePump {

  private static final Logger log = LoggerFactory.getLogger(LinePump.class);

  /** The event name of every publication. */
  static final String EVENT = "line";

  private final LineSource source;
  private final Supplier<Channel> channel;
  private final LevelDetector levels = new LevelDetector(); // guarded by this
  private String lastFailure; // guarded by this

  LinePump(LineSource source, Channel channel) {
    this(source, constant(Objects.requireNonNull(channel, "channel")));
  }

  /**
   * A pump that publishes each poll's lines to the channel {@code channel} gives at the start of that
   * poll: {@link ClusterDemo} publishes through whichever node runs.
   */
  LinePump(LineSource source, Supplier<Channel> channel) {
    this.source = Objects.requireNonNull(source, "source");
    this.channel = Objects.requireNonNull(channel, "channel");
  }

  private static Supplier<Channel> constant(Channel channel) {
    return () -> channel;
  }

  /**
   * Polls the source once and publishes every line it returns, in order. Calls do not overlap: once one
   * returns, no call that started before it is still publishing.
   *
   * @return how many lines were published
   * @throws IllegalStateException if the channel's server is closed
   */
  synchronized int pumpOnce() {
    List<String> lines;
    try {
      lines = source.poll();
    } catch (IOException e) {
      String failure = e.toString();
      if (!failure.equals(lastFailure)) {
        log.warn("cannot read {}: {}; trying again", source.description(), failure);
        lastFailure = failure;
      }
      return 0;
    }
    if (lastFailure != null) {
      log.info("reading {} again", source.description());
      lastFailure = null;
    }
    Channel target = channel.get();
    for (String line : lines) {
      target.publish(EVENT, new LogLine(line, levels.detect(line)));
    }
    return lines.size();
  }
}
