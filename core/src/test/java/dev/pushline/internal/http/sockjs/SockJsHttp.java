package dev.pushline.internal.http.sockjs;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw SockJS client on {@code java.net.http} for protocol tests: single requests, and receiving requests read
 * line by line into a queue that tests poll with bounded waits.
 *
 * <p>Thread-safe.
 */
final class SockJsHttp {

  private static final String END = "\u0000end"; // queued when a stream ended

  final String base;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  /** @param base for example {@code http://127.0.0.1:PORT/sockjs} */
  SockJsHttp(String base) {
    this.base = base;
  }

  /** Sends one request to {@code base + path} and waits (at most 20 s) for the whole response. */
  HttpResponse<String> request(String method, String path, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Starts a request without waiting for its response (an {@code xhr} poll that will wait). */
  CompletableFuture<HttpResponse<String>> requestAsync(String method, String path, String body) {
    HttpRequest r = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body)).build();
    return http.sendAsync(r, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> poll(String session) {
    return request("POST", "/000/" + session + "/xhr", null);
  }

  HttpResponse<String> send(String session, String... messages) {
    JsonArray a = new JsonArray();
    for (String m : messages) {
      a.add(m);
    }
    return request("POST", "/000/" + session + "/xhr_send", a.toString());
  }

  /** Opens a streaming receiving request ({@code xhr_streaming} by POST, {@code eventsource} by GET). */
  Stream stream(String method, String path) {
    HttpRequest r = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    HttpResponse<InputStream> response;
    try {
      response = http.send(r, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new AssertionError(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    return new Stream(response);
  }

  /** The messages of an {@code a[...]} frame. */
  static List<String> messages(String frame) {
    if (!frame.startsWith("a[")) {
      throw new AssertionError("not an array frame: " + frame);
    }
    List<String> out = new ArrayList<>();
    JsonParser.parseString(frame.substring(1)).getAsJsonArray().forEach(e -> out.add(e.getAsString()));
    return out;
  }

  /** The messages of an {@code a[...]} frame, each parsed as a JSON object. */
  static List<JsonObject> json(String frame) {
    List<JsonObject> out = new ArrayList<>();
    for (String m : messages(frame)) {
      out.add(JsonParser.parseString(m).getAsJsonObject());
    }
    return out;
  }

  /** A streaming response read line by line on its own thread. */
  static final class Stream implements AutoCloseable {
    final HttpResponse<InputStream> response;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    Stream(HttpResponse<InputStream> response) {
      this.response = response;
      this.reader = new Thread(this::pump, "sockjs-test-reader");
      reader.setDaemon(true);
      reader.start();
    }

    private void pump() {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the stream was cut; END below says so
      }
      lines.add(END);
    }

    /** The next line (without its line end), waiting at most 10 s; fails if none or the stream ended. */
    String next() throws InterruptedException {
      String line = lines.poll(10, TimeUnit.SECONDS);
      if (line == null) {
        throw new AssertionError("no line within 10 s");
      }
      if (line.equals(END)) {
        throw new AssertionError("the stream ended");
      }
      return line;
    }

    /** The next line that is not empty (EventSource separates events with empty lines). */
    String nextNonEmpty() throws InterruptedException {
      String line;
      do {
        line = next();
      } while (line.isEmpty());
      return line;
    }

    /** Whether the response ended within 10 s (after the lines already read). */
    boolean ended() throws InterruptedException {
      String line = lines.poll(10, TimeUnit.SECONDS);
      return END.equals(line);
    }

    /** The next line, or null when none came within {@code timeout}. */
    String poll(Duration timeout) throws InterruptedException {
      return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
      try {
        response.body().close();
      } catch (IOException e) {
        // closing a stream the server may have ended already
      }
    }
  }
}
