package dev.pushline.internal.http;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts the HTTP side's long-lived sessions (SockJS sessions, SSE streams) in total and per remote
 * address, against the server's {@code maxConnections} and {@code maxConnectionsPerAddress}. WebSocket
 * connections are counted by their transport; these limits are separate, with the same values.
 *
 * <p>Thread-safe.
 */
public final class HttpLimits {

  private final int maxTotal;
  private final int maxPerAddress;
  private int total; // guarded by this
  private final Map<InetAddress, Integer> perAddress = new HashMap<>(); // guarded by this

  public HttpLimits(int maxTotal, int maxPerAddress) {
    if (maxTotal < 1 || maxPerAddress < 1) {
      throw new IllegalArgumentException("limits must be >= 1: " + maxTotal + ", " + maxPerAddress);
    }
    this.maxTotal = maxTotal;
    this.maxPerAddress = maxPerAddress;
  }

  /**
   * Counts one more session from {@code address} if the limits allow it.
   *
   * @return true when counted (call {@link #release} once when it ends), false when a limit is reached
   */
  public synchronized boolean tryAcquire(InetAddress address) {
    int fromAddress = perAddress.getOrDefault(address, 0);
    if (total >= maxTotal || fromAddress >= maxPerAddress) {
      return false;
    }
    total++;
    perAddress.put(address, fromAddress + 1);
    return true;
  }

  /** Uncounts one session from {@code address}; once per successful {@link #tryAcquire}. */
  public synchronized void release(InetAddress address) {
    total--;
    perAddress.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
  }

  /** Sessions counted now. */
  public synchronized int total() {
    return total;
  }
}
