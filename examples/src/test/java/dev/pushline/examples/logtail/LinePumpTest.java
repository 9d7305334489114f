package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pushline.Channel;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link LinePump} publishing to a real server's channel, observed by an in-process subscriber. */
class LinePumpTest {

  private PushServer server;
  private Channel channel;
  private final BlockingQueue<Publication> received = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() {
    server = PushServer.builder().host("127.0.0.1").port(0).build().start();
    channel = server.channel("logs");
    channel.subscribe(received::add);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void publishesEachLineWithItsLevelInOrder() throws InterruptedException {
    ScriptedSource source = new ScriptedSource();
    source.script.add(List.of("2025-11-25 17:18:03.123 ERROR [main] c.e.App - boom",
        "\tat com.example.App.main(App.java:3)", "no level here"));
    LinePump pump = new LinePump(source, channel);

    assertEquals(3, pump.pumpOnce());

    assertLine(1, "2025-11-25 17:18:03.123 ERROR [main] c.e.App - boom", "ERROR");
    assertLine(2, "\tat com.example.App.main(App.java:3)", "ERROR");
    assertLine(3, "no level here", null);
  }

  @Test
  void keepsGoingAfterTheSourceFails() throws InterruptedException {
    ScriptedSource source = new ScriptedSource();
    source.script.add(new IOException("disk on fire"));
    source.script.add(new IOException("disk on fire"));
    source.script.add(List.of("recovered"));
    LinePump pump = new LinePump(source, channel);

    assertEquals(0, pump.pumpOnce());
    assertEquals(0, pump.pumpOnce());
    assertEquals(1, pump.pumpOnce());

    assertLine(1, "recovered", null);
  }

  private void assertLine(long offset, String text, String level) throws InterruptedException {
    Publication publication = received.poll(10, TimeUnit.SECONDS);
    assertNotNull(publication, "no publication within 10 s");
    assertEquals(offset, publication.offset());
    assertEquals(LinePump.EVENT, publication.event());
    LogLine line = publication.dataAs(LogLine.class);
    assertEquals(text, line.text());
    if (level == null) {
      assertNull(line.level());
    } else {
      assertEquals(level, line.level());
    }
  }

  /** Returns, or throws, what the test scripted, one step per poll. */
  private static final class ScriptedSource implements LineSource {
    final Deque<Object> script = new ArrayDeque<>();

    @Override
    @SuppressWarnings("unchecked")
    public List<String> poll() throws IOException {
      Object next = script.poll();
      if (next instanceof IOException e) {
        throw e;
      }
      return next == null ? List.of() : (List<String>) next;
    }

    @Override
    public String description() {
      return "scripted";
    }

    @Override
    public void close() {}
  }
}
