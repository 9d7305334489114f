package dev.pushline.examples.logtail;

import dev.pushline.broker.redis.TestRedis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link ClusterDemo#run} and its options, for the cases that need no Redis. */
class ClusterDemoTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void anUnreachableRedisSaysHowToStartOneAndExitsWith1() {
    String nobody = "redis://127.0.0.1:" + TestRedis.freePort();

    int status = run(Map.of(), "--port", "0", "--http-port", "0", "--redis", nobody);

    assertEquals(1, status);
    assertTrue(err().startsWith("pushline-cluster-demo: cannot reach Redis at " + nobody + ": "), err());
    assertTrue(err().contains("redis-server --save \"\" --appendonly no"), err());
    assertTrue(err().contains("apt-get install redis-server"), err());
    assertEquals("", out());
  }

  @Test
  void redisComesFromTheOptionThenTheEnvironmentThenTheDefault() throws Exception {
    Map<String, String> env = Map.of(ClusterDemo.REDIS_ENV, "redis://redis.internal:6380");

    assertEquals("redis://127.0.0.1:6379", ClusterDemo.Options.parse(new String[0], Map.of()).redisUri());
    assertEquals("redis://redis.internal:6380", ClusterDemo.Options.parse(new String[0], env).redisUri());
    assertEquals("redis://other:1", ClusterDemo.Options.parse(new String[] {"--redis", "redis://other:1"}, env)
        .redisUri());
    assertEquals("redis://other:2", ClusterDemo.Options.parse(new String[] {"--redis=redis://other:2"}, env)
        .redisUri());
  }

  @Test
  void nodeBTakesThePortAfterNodeAs() throws Exception {
    assertEquals(8026, ClusterDemo.Options.parse(new String[0], Map.of()).portB());
    assertEquals(0, ClusterDemo.Options.parse(new String[] {"--port", "0"}, Map.of()).portB());
    assertThrows(DemoOptions.UsageException.class,
        () -> ClusterDemo.Options.parse(new String[] {"--port", "8079", "--http-port", "8080"}, Map.of()));
    assertThrows(DemoOptions.UsageException.class,
        () -> ClusterDemo.Options.parse(new String[] {"--port", "65535"}, Map.of()));
  }

  @Test
  void badArgumentsPrintTheProblemAndUsageAndExitWith2() {
    int status = run(Map.of(), "--redis", "http://not-redis");

    assertEquals(2, status);
    assertTrue(err().startsWith("pushline-cluster-demo: --redis: "), err());
    assertTrue(err().contains("Usage: java -cp examples/target/pushline-demo.jar"), err());
  }

  @Test
  void helpPrintsUsageAndExitsWith0() {
    assertEquals(0, run(Map.of(), "--help"));
    assertTrue(out().contains("dev.pushline.examples.logtail.ClusterDemo"), out());
  }

  private int run(Map<String, String> env, String... args) {
    return ClusterDemo.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }
}
