package dev.pushline.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import dev.pushline.jmh.Payloads;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.Transport;
import dev.pushline.transport.websocket.DiscardingTransport;
import dev.pushline.transport.websocket.WebSocketTransport;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.Framedata;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Serialising and framing one publication for {@code recipients} recipients: Pushline's frame-once against
 * per-recipient framing and per-recipient serialisation. Every variant starts from the same publication
 * (a {@code JsonElement}, as {@code Channel.publish} has it after {@code Codec.toJson}) and ends with one
 * {@code ByteBuffer} per recipient, each given to the {@link Blackhole}; nothing is queued (see
 * {@code SendBench} for that).
 *
 * <ul>
 *   <li>{@link #pushline}: {@code Codec.publication} once, {@code WebSocketTransport.prepare} (one
 *       {@code TextFrame}) once, then per recipient the {@code duplicate()} view that {@code JwsConnection.send}
 *       queues.</li>
 *   <li>{@link #broadcastFraming}: what Java-WebSocket 1.6.0's {@code broadcast()} does with the text: serialise
 *       once, {@code Draft_6455.createFrames} once (the drafts of all connections compare equal, so its
 *       per-draft cache hits), then per recipient {@code createBinaryFrame}: allocate, header, copy the payload.</li>
 *   <li>{@link #framePerRecipient}: {@code WebSocket.send(String)} per recipient: serialise once, then per
 *       recipient {@code createFrames} (UTF-8 encode and validate) and {@code createBinaryFrame}.</li>
 *   <li>{@link #serialisePerRecipient}: serialise and frame per recipient with Pushline's own codec and
 *       framing, as a host that calls {@code ClientConnection.send} for each client would.</li>
 * </ul>
 *
 * <p>This class is in {@code dev.pushline.internal} only to call the package-private {@link Codec}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class FrameBench {

  private static final String CHANNEL = "bench";
  private static final String EVENT = "m";

  @Param({"100", "1024"})
  public int payloadBytes;

  @Param({"1", "1000"})
  public int recipients;

  private JsonElement data;
  private Transport transport;
  private Draft_6455 draft;
  private long offset;

  @Setup
  public void setup() {
    data = new JsonPrimitive(Payloads.text(payloadBytes));
    transport = WebSocketTransport.create(); // never started: prepare() needs no socket
    draft = new Draft_6455();
  }

  @Benchmark
  public void pushline(Blackhole bh) {
    OutboundMessage frame = transport.prepare(Codec.publication(CHANNEL, ++offset, EVENT, data));
    for (int i = 0; i < recipients; i++) {
      bh.consume(DiscardingTransport.view(frame));
    }
  }

  @Benchmark
  public void broadcastFraming(Blackhole bh) {
    List<Framedata> frames = draft.createFrames(Codec.publication(CHANNEL, ++offset, EVENT, data), false);
    for (int i = 0; i < recipients; i++) {
      for (Framedata f : frames) {
        bh.consume(draft.createBinaryFrame(f));
      }
    }
  }

  @Benchmark
  public void framePerRecipient(Blackhole bh) {
    String text = Codec.publication(CHANNEL, ++offset, EVENT, data);
    for (int i = 0; i < recipients; i++) {
      for (Framedata f : draft.createFrames(text, false)) {
        bh.consume(draft.createBinaryFrame(f));
      }
    }
  }

  @Benchmark
  public void serialisePerRecipient(Blackhole bh) {
    long o = ++offset;
    for (int i = 0; i < recipients; i++) {
      OutboundMessage frame = transport.prepare(Codec.publication(CHANNEL, o, EVENT, data));
      bh.consume(DiscardingTransport.view(frame));
    }
  }
}
