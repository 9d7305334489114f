package dev.pushline.jmh;

import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.websocket.DiscardingTransport;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Resuming from history: one client sends {@code subscribe} with {@code since} = the channel's offset minus
 * {@code back}, gets the {@code subscribed} reply and the {@code back} missed publications (the frames kept
 * in history, sent again as they are), then {@code unsubscribe}s so that the next op can resume again. The
 * channel holds a full default history (1,000 publications) and no other subscriber. {@code back} = 0 is the
 * fixed cost (parse both requests, recoverability check, add and remove the target, two replies); subtract
 * it to get the cost of building and sending the replay.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class ReplayBench {

  private static final int HISTORY = ChannelOptions.DEFAULT.historySize();

  @Param({"0", "10", "1000"})
  public int back;

  private Servers servers;
  private InboundListener client;
  private String subscribe;
  private String unsubscribe;

  @Setup
  public void setup() {
    servers = new Servers(ChannelOptions.DEFAULT);
    Channel channel = servers.server.channel("bench");
    String payload = Payloads.text(100);
    for (int i = 0; i < 2 * HISTORY; i++) {
      channel.publish("m", payload);
    }
    if (channel.history().size() != HISTORY) {
      throw new IllegalStateException("history holds " + channel.history().size() + "; expected " + HISTORY);
    }
    DiscardingTransport.Connection connection = servers.transport.connect();
    client = connection.inbound();
    subscribe = "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"bench\",\"since\":{\"offset\":"
        + (channel.offset() - back) + ",\"epoch\":\"" + channel.epoch() + "\"}}";
    unsubscribe = "{\"type\":\"unsubscribe\",\"id\":2,\"channel\":\"bench\"}";
    // One resume by hand: recovered, and exactly subscribed + back publications + unsubscribed sent.
    long before = connection.messages();
    resume();
    long sent = connection.messages() - before;
    if (sent != back + 2 || servers.server.stats().resumesRecovered() != 1) {
      throw new IllegalStateException("a resume sent " + sent + " messages (expected " + (back + 2)
          + "), recovered " + servers.server.stats().resumesRecovered() + " times (expected 1)");
    }
  }

  @Benchmark
  public void resume() {
    client.onText(subscribe);
    client.onText(unsubscribe);
  }

  @TearDown
  public void tearDown() {
    if (servers.server.stats().resumesNotRecovered() != 0) {
      throw new IllegalStateException(servers.server.stats().resumesNotRecovered() + " resumes not recovered");
    }
    servers.server.close();
  }
}
