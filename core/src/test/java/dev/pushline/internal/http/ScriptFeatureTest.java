package dev.pushline.internal.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.PushServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The browser client as the HTTP side serves it: /pushline.js, /pushline.global.js, /pushline.d.ts. */
class ScriptFeatureTest {

  private static PushServer server;
  private static HttpClient http;

  @BeforeAll
  static void start() {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).build().start();
    http = HttpClient.newHttpClient();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<byte[]> send(String method, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = ScriptFeatureTest.class.getResourceAsStream("/dev/pushline/js/" + name)) {
      return in.readAllBytes();
    }
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  @Test
  void servesTheModuleWithTypeCorsAndAnETagToRevalidate() throws Exception {
    HttpResponse<byte[]> r = send("GET", "/pushline.js");
    assertEquals(200, r.statusCode());
    assertArrayEquals(resource("pushline.js"), r.body());
    assertEquals("text/javascript; charset=utf-8", header(r, "Content-Type"));
    assertEquals("no-cache", header(r, "Cache-Control"));
    assertEquals("*", header(r, "Access-Control-Allow-Origin"));
    assertEquals("nosniff", header(r, "X-Content-Type-Options"));
    String etag = header(r, "ETag");
    assertTrue(etag.matches("\"[0-9a-f]{32}\""), etag);
    assertEquals(etag, header(send("GET", "/pushline.js?v=2"), "ETag"), "the query is ignored");
  }

  @Test
  void answersNotModifiedWhenTheETagMatches() throws Exception {
    String etag = header(send("GET", "/pushline.js"), "ETag");
    for (String ifNoneMatch : new String[] {etag, "W/" + etag, "\"other\", " + etag, "*"}) {
      HttpResponse<byte[]> r = send("GET", "/pushline.js", "If-None-Match", ifNoneMatch);
      assertEquals(304, r.statusCode(), ifNoneMatch);
      assertEquals(0, r.body().length);
      assertEquals(etag, header(r, "ETag"));
      assertEquals("no-cache", header(r, "Cache-Control"));
    }
    assertEquals(200, send("GET", "/pushline.js", "If-None-Match", "\"other\"").statusCode());
  }

  @Test
  void headAnswersTheHeadersOnly() throws Exception {
    HttpResponse<byte[]> r = send("HEAD", "/pushline.js");
    assertEquals(200, r.statusCode());
    assertEquals(0, r.body().length);
    assertEquals(Integer.toString(resource("pushline.js").length), header(r, "Content-Length"));
    assertEquals("text/javascript; charset=utf-8", header(r, "Content-Type"));
  }

  @Test
  void servesTheTypeDeclarationsAsText() throws Exception {
    HttpResponse<byte[]> r = send("GET", "/pushline.d.ts");
    assertEquals(200, r.statusCode());
    assertArrayEquals(resource("pushline.d.ts"), r.body());
    assertEquals("text/plain; charset=utf-8", header(r, "Content-Type"));
    assertEquals("*", header(r, "Access-Control-Allow-Origin"));
  }

  @Test
  void servesTheClassicBuildMadeFromTheModule() throws Exception {
    HttpResponse<byte[]> r = send("GET", "/pushline.global.js");
    assertEquals(200, r.statusCode());
    assertEquals("text/javascript; charset=utf-8", header(r, "Content-Type"));
    String script = new String(r.body(), StandardCharsets.UTF_8);
    assertTrue(script.contains("\nclass Pushline {"), "the module's classes, without export");
    assertTrue(script.contains("global.Pushline = Pushline;"));
    assertFalse(script.lines().anyMatch(l -> l.startsWith("export")), "no export is left");
  }

  @Test
  void theClassicBuildRefusesAModuleItCannotConvert() {
    assertThrows(IllegalStateException.class, () -> ScriptFeature.classic("const a = 1;\nexport { a };\n"));
    assertThrows(IllegalStateException.class, () -> ScriptFeature.classic("import x from 'y';\n"));
  }

  @Test
  void otherMethodsAre405AndOtherPaths404() throws Exception {
    HttpResponse<byte[]> post = send("POST", "/pushline.js");
    assertEquals(405, post.statusCode());
    assertEquals("GET, HEAD", header(post, "Allow"));
    assertEquals(405, send("DELETE", "/pushline.d.ts").statusCode());
    assertEquals(404, send("GET", "/pushline.js/more").statusCode());
    assertEquals(404, send("GET", "/pushline.jsx").statusCode());
    assertEquals(404, send("GET", "/pushline.min.js").statusCode());
  }
}
