package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.BindException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link PageServer} on a real socket (port 0), asked with {@link HttpClient}. */
class PageServerTest {

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private PageServer server;

  @BeforeEach
  void start() throws IOException {
    server = PageServer.start("127.0.0.1", 0, "{\"webSocketPort\":1234}");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @ParameterizedTest(name = "GET {0}")
  @CsvSource({
    "/, text/html; charset=utf-8, <script type=\"module\" src=\"app.js\"",
    "/index.html, text/html; charset=utf-8, <script type=\"module\" src=\"app.js\"",
    "/app.js, text/javascript; charset=utf-8, from './pushline.js'",
    "/pushline.js, text/javascript; charset=utf-8, export class Pushline",
    "/style.css, text/css; charset=utf-8, .lvl-error",
    "/config.json, application/json; charset=utf-8, {\"webSocketPort\":1234}",
    "/?cache-buster=1, text/html; charset=utf-8, <title>",
  })
  void servesTheKnownPathsWithTypeCharsetAndSafetyHeaders(String path, String type, String content)
      throws Exception {
    HttpResponse<String> response = send("GET", path);

    assertEquals(200, response.statusCode());
    assertEquals(type, header(response, "content-type"));
    assertEquals("no-cache", header(response, "cache-control"));
    assertEquals("nosniff", header(response, "x-content-type-options"));
    assertTrue(header(response, "content-security-policy").contains("script-src 'self'"));
    assertTrue(response.body().contains(content), path + " lacks " + content);
  }

  @Test
  void letsPagesOfAnyOriginImportTheClientButNotThePage() throws Exception {
    assertEquals("*", header(send("GET", "/pushline.js"), "access-control-allow-origin"));
    assertEquals(null, header(send("GET", "/app.js"), "access-control-allow-origin"));
    assertEquals(null, header(send("GET", "/config.json"), "access-control-allow-origin"));
  }

  @Test
  void headSendsTheHeadersOfGetWithoutABody() throws Exception {
    HttpResponse<String> get = send("GET", "/app.js");
    HttpResponse<String> head = send("HEAD", "/app.js");

    assertEquals(200, head.statusCode());
    assertEquals("", head.body());
    assertEquals(header(get, "content-type"), header(head, "content-type"));
    assertEquals(Integer.toString(get.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length),
        header(head, "content-length"));
  }

  @ParameterizedTest(name = "GET {0}")
  @CsvSource({"/nope", "/app.js/", "/config.json.bak", "/../pom.xml", "/favicon.ico"})
  void answersUnknownPathsWith404(String path) throws Exception {
    HttpResponse<String> response = send("GET", path);

    assertEquals(404, response.statusCode());
    assertEquals("text/plain; charset=utf-8", header(response, "content-type"));
    assertEquals("nosniff", header(response, "x-content-type-options"));
  }

  @ParameterizedTest(name = "{0} /")
  @CsvSource({"POST", "PUT", "DELETE", "OPTIONS"})
  void answersOtherMethodsWith405(String method) throws Exception {
    HttpResponse<String> response = send(method, "/");

    assertEquals(405, response.statusCode());
    assertEquals("GET, HEAD", header(response, "allow"));
  }

  @Test
  void servesAnotherDemosResourcesAndFilesFromElsewhereOnTheClasspath() throws Exception {
    try (PageServer other = PageServer.start("127.0.0.1", 0, "/dev/pushline/examples/logtail/web/",
        Map.of("/pushline.js", "/dev/pushline/js/pushline.js"), "{}")) {
      HttpResponse<String> script = send(other, "GET", "/pushline.js");

      assertEquals(200, script.statusCode());
      assertEquals("text/javascript; charset=utf-8", header(script, "content-type"));
      assertTrue(script.body().contains("export class Pushline"), script.body());
      assertEquals(200, send(other, "GET", "/").statusCode());
      assertEquals(404, send(other, "GET", "/cluster.html").statusCode());
    }
  }

  @Test
  void refusesAClasspathFileThatIsMissingOrTakesAPageFilesPath() {
    String web = "/dev/pushline/examples/logtail/web/";
    assertThrows(IllegalStateException.class,
        () -> PageServer.start("127.0.0.1", 0, web, Map.of("/x.js", "/no/such/file.js"), "{}").close());
    assertThrows(IllegalArgumentException.class,
        () -> PageServer.start("127.0.0.1", 0, web, Map.of("/app.js", "/dev/pushline/js/pushline.js"), "{}")
            .close());
  }

  @Test
  void failsToStartOnAPortInUse() {
    assertThrows(BindException.class, () -> PageServer.start("127.0.0.1", server.port(), "{}").close());
  }

  @Test
  void closeFreesThePort() throws IOException {
    int port = server.port();
    server.close();

    PageServer again = PageServer.start("127.0.0.1", port, "{}");
    again.close();
  }

  @Test
  void anEndpointGetsTheBodyAndAWrongRequestIsAnswered400() throws Exception {
    PageServer echo = PageServer.start("127.0.0.1", 0, "/dev/pushline/examples/logtail/web/", "index.html",
        List.of(), "{}", Map.of("/echo", new PageServer.Endpoint("POST", body -> {
          if (body.isEmpty()) {
            throw new IllegalArgumentException("say something");
          }
          return "{\"got\":" + body.length() + "}";
        })));
    try {
      String origin = "http://127.0.0.1:" + echo.port();
      HttpResponse<String> ok = post(echo, "/echo", origin, "héllo");
      HttpResponse<String> wrong = post(echo, "/echo", origin, "");
      HttpResponse<String> huge = post(echo, "/echo", origin, "x".repeat(PageServer.MAX_BODY_BYTES + 1));
      HttpResponse<String> otherSite = post(echo, "/echo", "http://evil.example", "hello");

      assertEquals(200, ok.statusCode());
      assertEquals("{\"got\":5}", ok.body());
      assertEquals(400, wrong.statusCode());
      assertEquals("{\"error\":\"say something\"}", wrong.body());
      assertEquals(413, huge.statusCode());
      assertEquals(403, otherSite.statusCode());
    } finally {
      echo.close();
    }
  }

  @Test
  void servesAFileGivenByItsClasspathPathUnderItsName() throws Exception {
    PageServer withClient = PageServer.start("127.0.0.1", 0, "/dev/pushline/examples/logtail/web/", "index.html",
        List.of("/dev/pushline/js/pushline.js"), "{}", Map.of());
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + withClient.port()
          + "/pushline.js")).timeout(Duration.ofSeconds(10)).build();
      HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());

      assertEquals(200, response.statusCode());
      assertEquals("text/javascript; charset=utf-8", header(response, "content-type"));
      assertTrue(response.body().contains("export class Pushline"));
    } finally {
      withClient.close();
    }
  }

  private static HttpResponse<String> post(PageServer server, String path, String origin, String body)
      throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(10))
        .header("Origin", origin)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return send(server, method, path);
  }

  private static HttpResponse<String> send(PageServer server, String method, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, HttpRequest.BodyPublishers.noBody())
        .build();
    return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static String header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name).orElse(null);
  }
}
