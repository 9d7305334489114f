package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole demo on real sockets (both ports 0): the page over HTTP, and a WebSocket client that speaks
 * protocol v1 as the page does. Lines are moved with {@link LogTailDemo#pumpNow()} and awaited with
 * bounded polls; nothing sleeps.
 */
class LogTailDemoIT {

  private static final Pattern WEBSOCKET_LINE = Pattern.compile("(?m)^WebSocket: (ws://\\S+)$");
  private static final Pattern PAGE_LINE = Pattern.compile("(?m)^Page:      (http://\\S+)$");
  private static final Pattern CLIENT_LINE = Pattern.compile("(?m)^Client:    (http://\\S+) ");

  @TempDir
  Path dir;

  private Path log;
  private HttpClient http;
  private LogTailDemo demo;
  private URI webSocketUri;
  private URI pageUri;
  private URI clientUri;
  private final List<WebSocketRecorder> clients = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    log = dir.resolve("app.log");
    Files.writeString(log, "2025-11-25 17:00:00.000 INFO  [main] c.e.App - old line, not pushed\n");
    http = HttpClient.newBuilder().connectTimeout(WebSocketRecorder.WAIT).build();
  }

  @AfterEach
  void tearDown() {
    clients.forEach(WebSocketRecorder::close);
    if (demo != null) {
      demo.close();
    }
  }

  @Test
  void pushesEachNewLineOfTheFileToASubscribedWebSocket() throws Exception {
    start(LogTailDemo.start(options("--port", "0", "--http-port", "0", log.toString())));
    WebSocketRecorder client = connect(null);
    client.expect("welcome");
    JsonObject subscribed = client.subscribe(1, "logs");
    assertEquals(0, subscribed.get("offset").getAsLong());

    append("2025-11-25 17:18:03.123 WARN  [main] c.e.App - disk 91% full\n");
    demo.pumpNow();

    JsonObject publication = client.expect("publication");
    assertEquals("logs", publication.get("channel").getAsString());
    assertEquals("line", publication.get("event").getAsString());
    assertEquals(1, publication.get("offset").getAsLong());
    JsonObject data = publication.getAsJsonObject("data");
    assertEquals("2025-11-25 17:18:03.123 WARN  [main] c.e.App - disk 91% full", data.get("text").getAsString());
    assertEquals("WARN", data.get("level").getAsString());
  }

  @Test
  void servesThePageAndItsConfigAndNothingElse() throws Exception {
    start(LogTailDemo.start(options("--port", "0", "--http-port", "0", log.toString())));

    HttpResponse<String> index = get(pageUri);
    assertEquals(200, index.statusCode());
    assertEquals("text/html; charset=utf-8", index.headers().firstValue("content-type").orElseThrow());
    assertTrue(index.body().contains("<script type=\"module\" src=\"app.js\""), index.body());
    HttpResponse<String> client = get(clientUri);
    assertEquals(200, client.statusCode());
    assertTrue(client.body().contains("export class Pushline"), "the banner's client URL serves pushline.js");

    HttpResponse<String> config = get(pageUri.resolve("/config.json"));
    assertEquals(200, config.statusCode());
    JsonObject json = JsonParser.parseString(config.body()).getAsJsonObject();
    assertEquals(webSocketUri.getPort(), json.get("webSocketPort").getAsInt());
    assertEquals("/pushline", json.get("webSocketPath").getAsString());
    assertEquals("logs", json.get("channel").getAsString());
    assertEquals("line", json.get("event").getAsString());
    assertEquals("app.log", json.get("source").getAsString());
    assertEquals(LogTailDemo.PAGE_MAX_LINES, json.get("maxLines").getAsInt());

    assertEquals(404, get(pageUri.resolve("/secrets.txt")).statusCode());
  }

  @Test
  void aResubscribingClientCanCountTheLinesItMissed() throws Exception {
    start(LogTailDemo.start(options("--port", "0", "--http-port", "0", log.toString())));
    WebSocketRecorder first = connect(null);
    JsonObject before = first.subscribe(1, "logs");
    append("seen\n");
    demo.pumpNow();
    long lastSeen = first.expect("publication").get("offset").getAsLong();
    first.close();

    append("missed 1\nmissed 2\nmissed 3\n");
    demo.pumpNow();
    assertEquals(4, demo.channel().offset());

    WebSocketRecorder second = connect(null);
    JsonObject after = second.subscribe(1, "logs");
    // What the page computes: same epoch, so offset - last seen offset lines were missed.
    assertEquals(before.get("epoch").getAsString(), after.get("epoch").getAsString());
    assertEquals(3, after.get("offset").getAsLong() - lastSeen);
  }

  @Test
  void pushesTheGeneratedLogWhenGivenNoFile() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2025-11-25T17:18:00Z"), ZoneOffset.UTC);
    start(LogTailDemo.start(options("--port", "0", "--http-port", "0"),
        new SampleLogGenerator(new Random(42), clock)));
    WebSocketRecorder client = connect(null);
    client.subscribe(1, "logs");

    clock.advance(Duration.ofSeconds(5));
    int published = demo.pumpNow();

    assertTrue(published > 0, "nothing generated in 5 s");
    JsonObject first = client.expect("publication");
    assertTrue(first.getAsJsonObject("data").get("text").getAsString().startsWith("2025-11-25 17:18:0"),
        first.toString());
  }

  @Test
  void refusesWebSocketsOpenedByPagesOfOtherSites() throws Exception {
    start(LogTailDemo.start(options("--port", "0", "--http-port", "0", log.toString())));

    ExecutionException refused = assertThrows(ExecutionException.class, () -> connect("https://evil.example"));
    // The upgrade is refused before any WebSocket exists.
    WebSocketHandshakeException e = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause());
    assertEquals(403, e.getResponse().statusCode());

    WebSocketRecorder local = connect("http://localhost:" + pageUri.getPort());
    local.expect("welcome");
  }

  @Test
  void closeSendsGoingAwayAndFreesBothPorts() throws Exception {
    start(LogTailDemo.start(options("--port", "0", "--http-port", "0", log.toString())));
    WebSocketRecorder client = connect(null);
    client.expect("welcome");

    demo.close();

    assertEquals(1001, client.awaitCloseCode());
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", webSocketUri.getPort()).close());
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", pageUri.getPort()).close());
  }

  /** Keeps {@code started} for tear-down and reads the URLs from the banner it prints. */
  private void start(LogTailDemo started) {
    demo = started;
    ByteArrayOutputStream banner = new ByteArrayOutputStream();
    demo.printBanner(new PrintStream(banner, true, StandardCharsets.UTF_8));
    String text = banner.toString(StandardCharsets.UTF_8);
    Matcher ws = WEBSOCKET_LINE.matcher(text);
    Matcher page = PAGE_LINE.matcher(text);
    Matcher client = CLIENT_LINE.matcher(text);
    assertTrue(ws.find() && page.find() && client.find(), "banner:\n" + text);
    webSocketUri = URI.create(ws.group(1));
    pageUri = URI.create(page.group(1));
    clientUri = URI.create(client.group(1));
    assertEquals("127.0.0.1", webSocketUri.getHost());
    assertTrue(webSocketUri.getPort() > 0 && pageUri.getPort() > 0, text);
  }

  private WebSocketRecorder connect(String origin) throws Exception {
    WebSocketRecorder client = WebSocketRecorder.connect(http, webSocketUri, origin);
    clients.add(client);
    return client;
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(WebSocketRecorder.WAIT).GET().build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private void append(String text) throws IOException {
    Files.writeString(log, text, StandardOpenOption.APPEND);
  }

  private static DemoOptions options(String... args) throws DemoOptions.UsageException {
    return DemoOptions.parse(args);
  }
}
