package dev.pushline.jmh;

import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
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
 * The cost of history on the publish path: {@code Channel.publish} on a channel with no subscriber, history
 * off ({@code historySize} 0) or on with the default 1,000 (full after the first warm-up iteration, so each
 * publish appends one entry and evicts the oldest). The difference between the two is the append.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class HistoryBench {

  @Param({"0", "1000"})
  public int historySize;

  @Param({"100"})
  public int payloadBytes;

  private Servers servers;
  private Channel channel;
  private String payload;

  @Setup
  public void setup() {
    servers = new Servers(ChannelOptions.DEFAULT.withHistory(historySize, ChannelOptions.DEFAULT.historyTtl()));
    channel = servers.server.channel("bench");
    payload = Payloads.text(payloadBytes);
  }

  @Benchmark
  public long publish() {
    return channel.publish("m", payload);
  }

  @TearDown
  public void tearDown() {
    int kept = channel.history().size();
    if (kept != Math.min(historySize, channel.offset())) {
      throw new IllegalStateException("history holds " + kept + "; expected " + historySize);
    }
    servers.server.close();
  }
}
