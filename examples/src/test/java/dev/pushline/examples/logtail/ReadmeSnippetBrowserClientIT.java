package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.pushline.PushServer;
import dev.pushline.examples.e2e.Browser;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's "Browser client" snippet, taken from README.md between {@value #START} and {@value #END},
 * runs in headless Chromium against a {@link PushServer} configured as the README says (with the page's
 * origin allowed): from a page of another origin it imports the server's {@code /pushline.js}, subscribes to
 * {@code orders} with a history of 10 and shows the last 10 publications, then live ones, in its
 * {@code <pre id="out">}. A second run points the snippet's WebSocket URL at a closed port: the page then
 * gets the same through its {@code fallback.sse} line.
 *
 * <p>The one change made to the snippet: the server and the page run on free ports, so the documented ports
 * (8025 for WebSocket, 8026 for HTTP, a page served from {@value #PAGE_ORIGIN}) are replaced with those. The
 * test first checks that the README still documents exactly those, so that drift fails it.
 *
 * <p>Screenshots: {@code target/screenshots/ReadmeSnippetBrowserClientIT-websocket.png} and
 * {@code -sse.png}.
 */
class ReadmeSnippetBrowserClientIT {

  static final String START = "<!-- browser-client-snippet:start -->";
  static final String END = "<!-- browser-client-snippet:end -->";

  private static final String SERVER_CONFIG = ".port(8025).httpPort(8026).allowedOrigins(\"http://localhost:8000\")";
  private static final String PAGE_ORIGIN = "http://localhost:8000";
  private static final String HTTP_SIDE = "http://localhost:8026/";
  private static final String WEBSOCKET_SIDE = "ws://localhost:8025/";
  private static final String CLIENT_URL = HTTP_SIDE + "pushline.js";
  private static final String WEBSOCKET_URL = WEBSOCKET_SIDE + "pushline";
  private static final String SSE_URL = HTTP_SIDE + "sse";
  private static final String CHANNEL = "orders";

  private static Browser browser;

  private PushServer server;
  private HttpServer pageServer;
  private Browser.Page page;
  private int published; // publications made to orders so far

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
      try {
        if (pageServer != null) {
          pageServer.stop(0);
        }
      } finally {
        if (server != null) {
          server.close();
        }
      }
    }
  }

  @Test
  void theSnippetShowsTheLast10PublicationsThenLiveOnes() throws Exception {
    runSnippet(false, "ReadmeSnippetBrowserClientIT-websocket");
  }

  @Test
  void whenTheWebSocketCannotConnectTheSnippetGetsThemOverSse() throws Exception {
    runSnippet(true, "ReadmeSnippetBrowserClientIT-sse");
  }

  /**
   * Serves the snippet from a page of its own origin, publishes 15 to {@code orders} before the page opens
   * and 5 once it shows the history, and checks that it shows offsets 6 to 20 in order, each once.
   * {@code webSocketDown}: the snippet's WebSocket URL names a port nothing listens on.
   */
  private void runSnippet(boolean webSocketDown, String screenshot) throws Exception {
    String snippet = documentedSnippet();

    pageServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    String pageOrigin = "http://localhost:" + pageServer.getAddress().getPort();
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).allowedOrigins(pageOrigin).build().start();
    String webSocketSide = webSocketDown
        ? "ws://localhost:" + closedPort() + "/"
        : "ws://localhost:" + server.port() + "/";
    String html = "<!doctype html>\n<meta charset=\"utf-8\">\n<title>README browser client snippet</title>\n"
        + snippet.replace(HTTP_SIDE, "http://localhost:" + server.httpPort() + "/")
            .replace(WEBSOCKET_SIDE, webSocketSide);
    assertFalse(html.contains(":8025") || html.contains(":8026"), "every documented port replaced:\n" + html);
    serve(html);

    List<String> before = publish(15);
    page = browser.open(webSocketDown ? "sse" : "websocket", URI.create(pageOrigin + "/"));
    List<String> expected = new ArrayList<>(before.subList(5, 15)); // the snippet asks for 10 as history
    awaitOut(expected);
    expected.addAll(publish(5));
    awaitOut(expected);
    page.screenshot(screenshot);
    assertEquals(List.of(), page.errors(), "uncaught errors in the page");
  }

  /**
   * The snippet, after checking that the README documents the server and the page as this test assumes: the
   * server's ports and allowed origin, the page's origin, and the snippet's URLs and channel.
   */
  private static String documentedSnippet() throws IOException {
    String readme = ReadmeSnippetBrowserIT.readme();
    assertTrue(readme.contains(SERVER_CONFIG), "README.md starts the server with " + SERVER_CONFIG);
    assertTrue(readme.contains("served from `" + PAGE_ORIGIN + "`"), "README.md serves the page from "
        + PAGE_ORIGIN);
    String snippet = ReadmeSnippetBrowserIT.readmeSnippet(START, END);
    for (String url : List.of(CLIENT_URL, WEBSOCKET_URL, SSE_URL)) {
      assertTrue(snippet.contains("'" + url + "'"), "the snippet uses " + url + ":\n" + snippet);
    }
    assertTrue(snippet.contains("subscribe('" + CHANNEL + "'"), "the snippet subscribes to " + CHANNEL + ":\n"
        + snippet);
    assertTrue(snippet.contains("{ history: 10 }"), "the snippet asks for a history of 10:\n" + snippet);
    assertTrue(snippet.contains("<pre id=\"out\">"), "the snippet shows publications in <pre id=\"out\">:\n"
        + snippet);
    String rest = snippet.replace(HTTP_SIDE, "").replace(WEBSOCKET_SIDE, "");
    assertFalse(rest.contains("localhost:"), "the snippet uses no other address:\n" + snippet);
    return snippet;
  }

  /** Publishes {@code count} to orders; returns the lines the snippet shows for them. */
  private List<String> publish(int count) {
    int first = published + 1;
    published += count;
    return IntStream.range(first, first + count)
        .mapToObj(n -> {
          long offset = server.channel(CHANNEL).publish("created", Map.of("id", n));
          assertEquals(n, offset, "offset of publication " + n);
          return offset + " created {\"id\":" + n + "}";
        })
        .toList();
  }

  /** Waits until the page's {@code <pre id="out">} holds exactly {@code lines}, one per line. */
  private void awaitOut(List<String> lines) {
    String expected = String.join("\n", lines) + "\n";
    page.waitFor("(text) => document.getElementById('out').textContent === text", expected,
        Duration.ofSeconds(10), "the page's <pre id=\"out\"> to hold exactly:\n" + expected);
  }

  /** Serves {@code html} at {@code /} from {@link #pageServer}. */
  private void serve(String html) {
    byte[] body = html.getBytes(StandardCharsets.UTF_8);
    pageServer.createContext("/", exchange -> {
      try (exchange) {
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    });
    pageServer.start();
  }

  /** A port of 127.0.0.1 that nothing listens on (bound, then released). */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
