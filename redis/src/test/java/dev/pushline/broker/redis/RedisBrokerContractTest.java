package dev.pushline.broker.redis;

import dev.pushline.broker.Broker;
import dev.pushline.broker.BrokerContractTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract every broker keeps, run against {@link RedisBroker} on a real Redis. */
class RedisBrokerContractTest extends BrokerContractTest {

  private static TestRedis redis;

  @BeforeAll
  static void startRedis() {
    redis = TestRedis.start();
  }

  @AfterAll
  static void stopRedis() throws InterruptedException {
    if (redis != null) {
      redis.close();
    }
  }

  @Override
  protected Broker newBroker() {
    return RedisBroker.builder()
        .uri(redis.uri())
        .keyPrefix("pushline-contract")
        .commandTimeout(Duration.ofSeconds(5))
        .build();
  }
}
