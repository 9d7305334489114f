package dev.pushline.broker.redis;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the tests' Redis is.
 *
 * <ol>
 *   <li>If {@code redis-server} is on the PATH: a private {@code redis-server} process on a free port,
 *       without persistence, killed by {@link #close()}. Only this one can be {@link #kill() killed} and
 *       {@link #restart() restarted}.
 *   <li>Else the Redis at {@code PUSHLINE_REDIS_URI} (default {@code redis://127.0.0.1:6379}), if it
 *       answers PING.
 *   <li>Else the test fails if {@code PUSHLINE_REQUIRE_REDIS=1} (as in CI), and is skipped otherwise.
 * </ol>
 *
 * <p>Not thread-safe; confine to the test's thread.
 */
public final class TestRedis implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private final String host;
  private final int port;
  private final boolean private_;
  private Process process;

  private TestRedis(String host, int port, boolean privateProcess) {
    this.host = host;
    this.port = port;
    this.private_ = privateProcess;
  }

  public static TestRedis start() {
    if (onPath("redis-server")) {
      TestRedis redis = new TestRedis("127.0.0.1", freePort(), true);
      redis.launch();
      return redis;
    }
    String uri = System.getenv().getOrDefault("PUSHLINE_REDIS_URI", "redis://127.0.0.1:6379");
    java.net.URI parsed = java.net.URI.create(uri);
    String host = parsed.getHost() == null ? "127.0.0.1" : parsed.getHost();
    int port = parsed.getPort() < 0 ? 6379 : parsed.getPort();
    if (answersPing(host, port)) {
      return new TestRedis(host, port, false);
    }
    String reason = "no redis-server on PATH and nothing answers PING at " + host + ":" + port
        + " (PUSHLINE_REDIS_URI): apt-get install redis-server";
    if ("1".equals(System.getenv("PUSHLINE_REQUIRE_REDIS"))) {
      Assertions.fail("PUSHLINE_REQUIRE_REDIS=1 but " + reason);
    }
    Assumptions.abort(reason);
    throw new AssertionError("unreachable");
  }

  public String uri() {
    return "redis://" + host + ":" + port;
  }

  int port() {
    return port;
  }

  /** Aborts the calling test unless this is a private process that the test may kill and restart. */
  void assumeRestartable() {
    Assumptions.assumeTrue(private_,
        "this test restarts Redis; it needs redis-server on the PATH, not a shared Redis at " + uri());
  }

  /** Kills Redis at once (SIGKILL): like a crash, without persistence every key is gone. */
  void kill() throws InterruptedException {
    assumeRestartable();
    process.destroyForcibly();
    Assertions.assertTrue(process.waitFor(10, TimeUnit.SECONDS), "redis-server did not die");
  }

  /** Starts Redis again on the same port, empty. */
  void restart() {
    assumeRestartable();
    launch();
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private void launch() {
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
    while (!answersPing(host, port)) {
      if (!process.isAlive()) {
        Assertions.fail("redis-server exited with " + process.exitValue() + " while starting on port " + port);
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        Assertions.fail("redis-server did not answer PING on port " + port + " within " + START_TIMEOUT);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // poll interval while it binds
    }
  }

  static boolean answersPing(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 500);
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = new byte[7];
      int n = in.readNBytes(reply, 0, 7);
      return n == 7 && new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  public static int freePort() {
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
    for (String dir : List.of(path.split(File.pathSeparator))) {
      if (new File(dir, command).canExecute()) {
        return true;
      }
    }
    return false;
  }
}
