package dev.pushline.examples.logtail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The Redis for {@link ClusterDemoIT}, found as pushline-redis' tests find theirs: a private
 * {@code redis-server} on a free port without persistence when one is on the PATH; else the Redis at
 * {@code PUSHLINE_REDIS_URI} if it answers PING; else the test fails when {@code PUSHLINE_REQUIRE_REDIS=1}
 * (as in CI) and is skipped otherwise, with the reason.
 *
 * <p>Not thread-safe; confine to the test's thread.
 */
final class TestRedis implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private final String uri;
  private final Process process; // null for a Redis we did not start

  private TestRedis(String uri, Process process) {
    this.uri = uri;
    this.process = process;
  }

  static TestRedis start() {
    if (onPath("redis-server")) {
      return launch(freePort());
    }
    String uri = System.getenv().getOrDefault("PUSHLINE_REDIS_URI", "redis://127.0.0.1:6379");
    java.net.URI parsed = java.net.URI.create(uri);
    String host = parsed.getHost() == null ? "127.0.0.1" : parsed.getHost();
    int port = parsed.getPort() < 0 ? 6379 : parsed.getPort();
    if (answersPing(host, port)) {
      return new TestRedis(uri, null);
    }
    String reason = "no redis-server on PATH and nothing answers PING at " + host + ":" + port
        + " (PUSHLINE_REDIS_URI): apt-get install redis-server";
    if ("1".equals(System.getenv("PUSHLINE_REQUIRE_REDIS"))) {
      Assertions.fail("PUSHLINE_REQUIRE_REDIS=1 but " + reason);
    }
    Assumptions.abort(reason);
    throw new AssertionError("unreachable");
  }

  /** {@code redis://host:port} */
  String uri() {
    return uri;
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static TestRedis launch(int port) {
    Process process;
    try {
      process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--save", "",
          "--appendonly", "no", "--bind", "127.0.0.1")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start redis-server", e);
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!answersPing("127.0.0.1", port)) {
      if (!process.isAlive()) {
        Assertions.fail("redis-server exited with " + process.exitValue() + " while starting on port " + port);
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        Assertions.fail("redis-server did not answer PING on port " + port + " within " + START_TIMEOUT);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // poll interval while it binds
    }
    return new TestRedis("redis://127.0.0.1:" + port, process);
  }

  private static boolean answersPing(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 500);
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = in.readNBytes(7);
      return new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  /** A port nothing listens on right now. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (new File(dir, command).canExecute()) {
        return true;
      }
    }
    return false;
  }
}
