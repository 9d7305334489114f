package dev.pushline.broker.redis;

import static org.junit.jupiter.api.Assertions.fail;

import dev.pushline.PushServer;
import dev.pushline.broker.Broker;
import dev.pushline.testing.Threads;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;

/**
 * Several Pushline nodes in this JVM, each a {@link PushServer} on 127.0.0.1 and a port of its own (port 0)
 * with its own {@link RedisBroker}, all on one Redis and one key prefix that no other test uses, as one
 * deployment would be.
 *
 * <p>{@link #close()} closes every node still running and then checks that nothing the nodes started is
 * still running: no server thread, no Lettuce thread.
 *
 * <p>Not thread-safe; confine to the test's thread (the nodes themselves are thread-safe).
 */
final class Cluster implements AutoCloseable {

  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration THREADS_GONE = Duration.ofSeconds(10);

  private final String keyPrefix = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private final Set<String> threadsBefore = Threads.serverThreads();
  private final List<PushServer> nodes = new ArrayList<>();
  private final List<Broker> brokers = new ArrayList<>();

  private Cluster() {}

  /**
   * Starts {@code count} nodes on {@code redis}.
   *
   * @param configure applied to each node's builder after host, port and broker are set
   */
  static Cluster start(TestRedis redis, int count, UnaryOperator<PushServer.Builder> configure) {
    return start(redis, count, configure, UnaryOperator.identity());
  }

  /**
   * Starts {@code count} nodes on {@code redis}, each node's broker wrapped by {@code wrap} (to watch or
   * cut what a node says to Redis).
   */
  static Cluster start(TestRedis redis, int count, UnaryOperator<PushServer.Builder> configure,
      UnaryOperator<Broker> wrap) {
    Cluster cluster = new Cluster();
    try {
      for (int i = 0; i < count; i++) {
        RedisBroker redisBroker = RedisBroker.builder()
            .uri(redis.uri())
            .keyPrefix(cluster.keyPrefix)
            .commandTimeout(COMMAND_TIMEOUT)
            .build();
        Broker broker = wrap.apply(redisBroker);
        cluster.brokers.add(broker);
        PushServer server = configure.apply(PushServer.builder().host("127.0.0.1").port(0).broker(broker))
            .build();
        cluster.nodes.add(server);
        server.start();
      }
    } catch (RuntimeException | Error e) {
      cluster.nodes.forEach(PushServer::close);
      throw e;
    }
    return cluster;
  }

  PushServer node(int i) {
    return nodes.get(i);
  }

  /** The broker node {@code i} was built with (wrapped, if the cluster was started with a wrapper). */
  Broker broker(int i) {
    return brokers.get(i);
  }

  int size() {
    return nodes.size();
  }

  /** {@code ws://127.0.0.1:<port of node i>/pushline}. */
  URI uri(int i) {
    return URI.create("ws://127.0.0.1:" + nodes.get(i).port() + nodes.get(i).path());
  }

  int port(int i) {
    return nodes.get(i).port();
  }

  /** The key prefix every node of this cluster uses: its keys and pub/sub channels start with it. */
  String keyPrefix() {
    return keyPrefix;
  }

  @Override
  public void close() {
    nodes.forEach(PushServer::close); // idempotent: nodes a test closed already are skipped
    long deadline = System.nanoTime() + THREADS_GONE.toNanos();
    while (true) {
      Set<String> left = Threads.startedSince(threadsBefore);
      Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.isAlive() && t.getName().startsWith("lettuce-"))
          .forEach(t -> left.add(t.getName()));
      if (left.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        fail("threads still running " + THREADS_GONE + " after the cluster closed: " + left);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // poll interval while threads end
    }
  }
}
