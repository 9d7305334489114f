package dev.pushline.internal.http.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An SSE reader on {@code java.net.http}: a helper thread parses the stream as the WHATWG spec says and
 * queues every event, comment and the end of the stream; the test takes them with bounded waits.
 */
final class SseTestClient implements AutoCloseable {

  /** One thing read: an event ({@code type} "message" when unnamed), a comment, a retry, or the end. */
  record Event(String type, String id, String data) {
    JsonObject json() {
      return JsonParser.parseString(data).getAsJsonObject();
    }
  }

  static final String COMMENT = ":comment";
  static final String RETRY = ":retry";
  static final String END = ":end";

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final HttpResponse<InputStream> response;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Thread reader;

  private SseTestClient(HttpResponse<InputStream> response) {
    this.response = response;
    this.reader = new Thread(this::read, "sse-test-reader");
    reader.setDaemon(true);
    if (response.statusCode() == 200) {
      reader.start();
    }
  }

  /** GETs {@code uri} with the given header name/value pairs. */
  static SseTestClient open(URI uri, String... headers) throws IOException, InterruptedException {
    return open(HTTP, uri, headers);
  }

  /** GETs {@code uri} with {@code http} (for example one that trusts a test certificate). */
  static SseTestClient open(HttpClient http, URI uri, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET()
        .header("Accept", "text/event-stream");
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return new SseTestClient(http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()));
  }

  int status() {
    return response.statusCode();
  }

  HttpHeaders headers() {
    return response.headers();
  }

  /** The whole body of a response that is not a stream. */
  JsonObject errorBody() throws IOException {
    try (InputStream in = response.body()) {
      return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
    }
  }

  /** The next thing read, comments and retry included; fails after 10 s. */
  Event nextAny() throws InterruptedException {
    Event e = events.poll(10, TimeUnit.SECONDS);
    if (e == null) {
      fail("nothing read within 10 s");
    }
    return e;
  }

  /** The next event (comments and retry skipped); fails after 10 s. */
  Event next() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Event e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        fail("no event within 10 s");
      }
      if (!e.type.equals(COMMENT) && !e.type.equals(RETRY)) {
        return e;
      }
    }
  }

  /** The next event, which must be of {@code type}. */
  Event next(String type) throws InterruptedException {
    Event e = next();
    assertEquals(type, e.type, "event " + e);
    return e;
  }

  /** Fails unless the stream ends (after the events still queued, which must be comments only) within 10 s. */
  void awaitEnd() throws InterruptedException {
    assertEquals(END, next().type);
  }

  private void read() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String type = null;
      String id = null;
      StringBuilder data = null;
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isEmpty()) {
          if (data != null) {
            events.add(new Event(type == null ? "message" : type, id, data.toString()));
          }
          type = null;
          id = null;
          data = null;
          continue;
        }
        if (line.startsWith(":")) {
          events.add(new Event(COMMENT, null, line.substring(1).trim()));
          continue;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
          value = value.substring(1);
        }
        switch (field) {
          case "event" -> type = value;
          case "id" -> id = value;
          case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
          case "retry" -> events.add(new Event(RETRY, null, value));
          default -> { }
        }
      }
    } catch (IOException e) {
      // the stream broke or was closed: an end like any other for the tests
    }
    events.add(new Event(END, null, null));
  }

  @Override
  public void close() throws InterruptedException {
    try {
      response.body().close();
    } catch (IOException ignored) {
      // closing a stream the server may have closed
    }
    reader.join(10_000);
  }
}
