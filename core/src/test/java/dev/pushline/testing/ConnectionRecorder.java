package dev.pushline.testing;

import dev.pushline.ClientConnection;
import dev.pushline.ConnectionListener;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ConnectionListener} that records opened connections and close codes, for tests to take with
 * bounded waits.
 *
 * <p>Thread-safe.
 */
public final class ConnectionRecorder implements ConnectionListener {

  private final BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();
  private final BlockingQueue<Integer> closeCodes = new LinkedBlockingQueue<>();

  @Override
  public void onOpen(ClientConnection connection) {
    opened.add(connection);
  }

  @Override
  public void onClosed(ClientConnection connection, int code, String reason) {
    closeCodes.add(code);
  }

  /** The next connection opened; fails after 10 s. */
  public ClientConnection nextOpened() throws InterruptedException {
    ClientConnection c = opened.poll(10, TimeUnit.SECONDS);
    if (c == null) {
      throw new AssertionError("no connection opened within 10 s");
    }
    return c;
  }

  /** The close code of the next connection closed; fails after 10 s. */
  public int nextCloseCode() throws InterruptedException {
    Integer code = closeCodes.poll(10, TimeUnit.SECONDS);
    if (code == null) {
      throw new AssertionError("no connection closed within 10 s");
    }
    return code;
  }
}
