package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.pushline.examples.e2e.Browser;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's browser snippet, taken from README.md between {@value #START} and {@value #END}, runs as is
 * in headless Chromium against the log tail demo: from a page of another origin (another port of this
 * machine), it imports the demo's {@code /pushline.js}, gets the last lines as history, then live ones.
 *
 * <p>The one change made to it: the demo runs on free ports, so the snippet's default ports (which must be
 * the demo's defaults, {@link DemoOptions#DEFAULT_HTTP_PORT} and {@link DemoOptions#DEFAULT_PORT}) are
 * replaced with those. The test fails when the README's snippet drifts from the demo.
 *
 * <p>Screenshot: {@code target/screenshots/ReadmeSnippetBrowserIT-lines.png}.
 */
class ReadmeSnippetBrowserIT {

  static final String START = "<!-- browser-snippet:start -->";
  static final String END = "<!-- browser-snippet:end -->";

  private static final String CLIENT_URL = "http://127.0.0.1:" + DemoOptions.DEFAULT_HTTP_PORT + "/pushline.js";
  private static final String WEBSOCKET_URL = "ws://127.0.0.1:" + DemoOptions.DEFAULT_PORT + "/pushline";

  private static Browser browser;

  @TempDir
  Path dir;

  private LogTailDemo demo;
  private HttpServer otherOrigin;
  private Browser.Page page;
  private int appended; // lines appended to the log so far

  @BeforeAll
  static void launchBrowser() throws IOException {
    browser = Browser.launch();
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  @AfterEach
  void tearDown() {
    try {
      if (page != null) {
        page.close();
      }
    } finally {
      if (otherOrigin != null) {
        otherOrigin.stop(0);
      }
      if (demo != null) {
        demo.close();
      }
    }
  }

  @Test
  void theReadmeSnippetShowsTheDemosLinesFromAPageOfAnotherOrigin() throws Exception {
    String snippet = readmeSnippet();
    assertTrue(snippet.contains("'" + CLIENT_URL + "'"), "the snippet imports the demo's client:\n" + snippet);
    assertTrue(snippet.contains("'" + WEBSOCKET_URL + "'"), "the snippet connects to the demo:\n" + snippet);
    assertTrue(snippet.contains("'" + LogTailDemo.CHANNEL + "'"), "the snippet subscribes to the demo's channel:\n"
        + snippet);

    Path log = dir.resolve("app.log");
    Files.writeString(log, "");
    demo = LogTailDemo.start(DemoOptions.parse("--port", "0", "--http-port", "0", log.toString()));
    String html = "<!doctype html>\n<meta charset=\"utf-8\">\n<title>README snippet</title>\n"
        + snippet.replace(CLIENT_URL, demo.clientUri().toString())
            .replace(WEBSOCKET_URL, demo.webSocketUri().toString());
    URI pageUri = serveOnAnotherPort(html);
    assertTrue(pageUri.getPort() != demo.pageUri().getPort(), "another origin than the demo's page");

    List<String> before = append("before the page opened", 15);
    page = browser.open("snippet", pageUri);
    List<String> expected = new ArrayList<>(before.subList(5, 15)); // the snippet asks for 10 as history
    awaitLines(expected);
    expected.addAll(append("live", 5));
    awaitLines(expected);
    page.screenshot("ReadmeSnippetBrowserIT-lines");
    assertEquals(List.of(), page.errors(), "uncaught errors in the page");
  }

  /** The text between the markers, without the code fence lines. */
  static String readmeSnippet() throws IOException {
    return readmeSnippet(START, END);
  }

  /** The text of README.md between {@code startMarker} and {@code endMarker}, without the code fence lines. */
  static String readmeSnippet(String startMarker, String endMarker) throws IOException {
    String text = readme();
    int start = text.indexOf(startMarker);
    int end = text.indexOf(endMarker);
    assertTrue(start >= 0 && end > start, "README.md has no " + startMarker + " ... " + endMarker + " block");
    return Arrays.stream(text.substring(start + startMarker.length(), end).strip().split("\n"))
        .filter(line -> !line.startsWith("```"))
        .collect(Collectors.joining("\n", "", "\n"));
  }

  /** README.md, whole. */
  static String readme() throws IOException {
    Path readme = Path.of("../README.md");
    if (!Files.isRegularFile(readme)) {
      readme = Path.of("README.md"); // run from the repository root
    }
    return Files.readString(readme, StandardCharsets.UTF_8);
  }

  private List<String> append(String when, int count) throws IOException {
    int first = appended + 1;
    appended += count;
    List<String> lines = IntStream.range(first, first + count)
        .mapToObj(n -> "2025-11-26 10:00:00.000 INFO  [main] app.Orders - line " + n + ", " + when)
        .toList();
    Files.writeString(dir.resolve("app.log"), String.join("\n", lines) + "\n", StandardOpenOption.APPEND);
    // The demo's scheduler may have taken some of them already: either way they are published in order.
    demo.pumpNow();
    return lines;
  }

  /** Waits until the page's text is exactly {@code lines}, one per line. */
  private void awaitLines(List<String> lines) {
    String expected = String.join("\n", lines) + "\n";
    page.waitFor("(text) => document.body.innerText.trim() === text.trim()", expected, Duration.ofSeconds(10),
        "the page to show exactly:\n" + expected);
  }

  /** Serves {@code html} at {@code /} on a free port of 127.0.0.1 (another origin than the demo's). */
  private URI serveOnAnotherPort(String html) throws IOException {
    byte[] body = html.getBytes(StandardCharsets.UTF_8);
    otherOrigin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    otherOrigin.createContext("/", exchange -> {
      try (exchange) {
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    });
    otherOrigin.start();
    return URI.create("http://127.0.0.1:" + otherOrigin.getAddress().getPort() + "/");
  }
}
