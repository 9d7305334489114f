package dev.pushline.jmh;

import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
import dev.pushline.transport.websocket.DiscardingTransport;
import java.util.List;
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
 * One {@code Channel.publish} to {@code subscribers} remote subscribers of that channel, through the public
 * API on a {@link DiscardingTransport}: {@code Codec.toJson}, the channel lock, the offset, serialising and
 * framing once, the history append (default options: 1,000 publications), and per subscriber
 * {@code Session.deliver} (queue-bound check) and the connection's {@code send} (one buffer view, counted and
 * dropped). Subscribers are real {@code Session}s subscribed with a protocol v1 {@code subscribe} request.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class FanOutBench {

  @Param({"1000", "10000"})
  public int subscribers;

  @Param({"100"})
  public int payloadBytes;

  private Servers servers;
  private Channel channel;
  private List<DiscardingTransport.Connection> connections;
  private String payload;

  @Setup
  public void setup() {
    servers = new Servers(ChannelOptions.DEFAULT);
    connections = servers.subscribers(subscribers, "bench");
    channel = servers.server.channel("bench");
    payload = Payloads.text(payloadBytes);
  }

  @Benchmark
  public long publish() {
    return channel.publish("m", payload);
  }

  /** Every subscriber got every publication: welcome + subscribed + one per offset. */
  @TearDown
  public void tearDown() {
    long expected = 2 + channel.offset();
    for (DiscardingTransport.Connection c : connections) {
      if (c.messages() != expected) {
        throw new IllegalStateException("a subscriber got " + c.messages() + " messages; expected " + expected);
      }
    }
    servers.server.close();
  }
}
