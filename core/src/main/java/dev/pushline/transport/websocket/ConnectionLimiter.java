package dev.pushline.transport.websocket;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts sockets from accept to close, in total and per remote address, and says whether one more may be
 * accepted.
 *
 * <h2>Why the open-file limit caps the total</h2>
 * When {@code accept} fails for want of a file descriptor ({@code EMFILE}), Java-WebSocket 1.6.0 closes
 * its listening socket and never reopens it: the server stops accepting for good, without a log line.
 * Measured: a server under {@code ulimit -n 120} offered 200 connections refused every connection
 * afterwards, after the 200 had gone. So the total is capped below the process's open-file limit, with a
 * reserve for the rest of the process (jars, logs, the host's own sockets and files).
 *
 * <p>Thread-safe: {@link #tryAcquire} runs on the selector thread, {@link #release} on any thread.
 */
final class ConnectionLimiter {

  private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);
  private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final int maxTotal;
  private final int maxPerAddress;
  private int total; // guarded by this
  private final Map<InetAddress, Integer> perAddress = new HashMap<>(); // guarded by this
  private long refusedSinceWarning; // guarded by this
  private long nextWarningNanos = System.nanoTime(); // guarded by this

  ConnectionLimiter(int maxTotal, int maxPerAddress) {
    this.maxTotal = maxTotal;
    this.maxPerAddress = maxPerAddress;
  }

  /** The most connections: {@code configured}, lowered below the open-file limit if that is lower. */
  static int capByOpenFileLimit(int configured) {
    long maxFiles = maxOpenFiles();
    if (maxFiles <= 0) {
      return configured; // unknown (not a Unix JVM): nothing to go by
    }
    long reserve = Math.max(64, maxFiles / 10);
    long cap = Math.max(1, maxFiles - reserve);
    if (configured <= cap) {
      return configured;
    }
    // INFO, not WARN: with the default maxConnections this is the usual case under a 20,000-file limit.
    log.info("maxConnections is {} but this process may open only {} files (ulimit -n); allowing {} "
        + "connections, keeping {} descriptors for the rest of the process. Raise the open-file limit to "
        + "allow more: past it, accept fails and the listening socket is lost.", configured, maxFiles, cap,
        reserve);
    return (int) cap;
  }

  private static long maxOpenFiles() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.UnixOperatingSystemMXBean unix
        ? unix.getMaxFileDescriptorCount() : -1;
  }

  /**
   * Counts one more socket from {@code address} if the limits allow it.
   *
   * @return null when counted, else which limit refused it (for the log)
   */
  String tryAcquire(InetAddress address) {
    String refused;
    long refusedCount = 0;
    synchronized (this) {
      int fromAddress = perAddress.getOrDefault(address, 0);
      if (total >= maxTotal) {
        refused = "maxConnections (" + maxTotal + ")";
      } else if (fromAddress >= maxPerAddress) {
        refused = "maxConnectionsPerAddress (" + maxPerAddress + ")";
      } else {
        total++;
        perAddress.put(address, fromAddress + 1);
        return null;
      }
      refusedSinceWarning++;
      long now = System.nanoTime();
      if (now - nextWarningNanos >= 0) {
        nextWarningNanos = now + WARN_EVERY_NANOS;
        refusedCount = refusedSinceWarning;
        refusedSinceWarning = 0;
      }
    }
    if (refusedCount > 0) {
      log.warn("refusing connections at accept: {} reached ({} refused since the last warning; "
          + "at most one warning a minute)", refused, refusedCount);
    } else {
      log.debug("refused a connection from {} at accept: {} reached", address, refused);
    }
    return refused;
  }

  /** Uncounts one socket from {@code address}; once per successful {@link #tryAcquire}. */
  synchronized void release(InetAddress address) {
    total--;
    perAddress.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
  }

  /** Sockets counted now. */
  synchronized int total() {
    return total;
  }

  /** The effective total limit. */
  int maxTotal() {
    return maxTotal;
  }
}
