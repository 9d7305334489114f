package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pushline.transport.Handshake;
import dev.pushline.transport.websocket.WebSocketTransport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The origin rule of {@link OriginCheckingTransport}; the closing itself is covered by {@link LogTailDemoIT}. */
class OriginCheckingTransportTest {

  @ParameterizedTest(name = "loopback bind: Origin {0} -> {1}")
  @CsvSource(nullValues = "NONE", value = {
    "NONE, true",
    "http://127.0.0.1:8080, true",
    "http://localhost:8080, true",
    "http://localhost:9999, true",
    "http://[::1]:8080, true",
    "https://127.0.0.2, true",
    "http://app.localhost:8080, true",
    "https://evil.example, false",
    "http://127.0.0.1.evil.example:8080, false",
    "http://localhost.evil.example, false",
    "null, false",
    "file://, false",
    "ftp://localhost, false",
    "not a url, false",
  })
  void loopbackBindAllowsOnlyPagesOfThisMachine(String origin, boolean allowed) {
    OriginCheckingTransport transport = new OriginCheckingTransport(WebSocketTransport.create(), true);

    assertEquals(allowed, transport.allows(handshake(origin, "127.0.0.1:8025")));
  }

  @ParameterizedTest(name = "exposed bind: Origin {0}, Host {1} -> {2}")
  @CsvSource(nullValues = "NONE", value = {
    "http://logs.example.net:8080, logs.example.net:8025, true",
    "http://LOGS.example.net:8080, logs.example.net:8025, true",
    "http://192.0.2.10:8080, 192.0.2.10:8025, true",
    "http://[2001:db8::1]:8080, [2001:db8::1]:8025, true",
    "http://localhost:8080, 192.0.2.10:8025, true",
    "https://evil.example, logs.example.net:8025, false",
    "https://evil.example, NONE, false",
  })
  void exposedBindAlsoAllowsThePageOfTheHostTheBrowserAskedFor(String origin, String host, boolean allowed) {
    OriginCheckingTransport transport = new OriginCheckingTransport(WebSocketTransport.create(), false);

    assertEquals(allowed, transport.allows(handshake(origin, host)));
  }

  private static Handshake handshake(String origin, String host) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    if (origin != null) {
      headers.put("origin", List.of(origin));
    }
    if (host != null) {
      headers.put("host", List.of(host));
    }
    return new Handshake("/pushline", "", headers, null);
  }
}
