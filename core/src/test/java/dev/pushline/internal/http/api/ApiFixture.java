package dev.pushline.internal.http.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import dev.pushline.client.PushClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A started server with the HTTP API on 127.0.0.1 (both ports picked free), a {@code java.net.http} client
 * that calls it with {@link #KEY}, and {@link PushClient} subscribers that record what they receive.
 * Closing it closes the clients, then the server.
 */
final class ApiFixture implements AutoCloseable {

  static final String KEY = "test-key-0123456789abcdef";

  final PushServer server;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<PushClient> clients = new ArrayList<>();

  /** A server with {@link #KEY}, more settings from {@code builder}. */
  ApiFixture(PushServer.Builder builder) {
    this.server = builder.host("127.0.0.1").port(0).httpPort(0).build().start();
  }

  ApiFixture() {
    this(PushServer.builder().apiKey(KEY));
  }

  /** A status, headers and body, with the body's JSON. */
  record Response(int status, HttpHeaders headers, String body) {
    JsonObject json() {
      return JsonParser.parseString(body).getAsJsonObject();
    }

    /** Asserts this is a JSON error with {@code status} and {@code code}; returns its message. */
    String assertError(int status, String code) {
      assertEquals(status, this.status, body);
      assertTrue(headers.firstValue("Content-Type").orElse("").startsWith("application/json"), headers.toString());
      JsonObject error = json().getAsJsonObject("error");
      assertEquals(code, error.get("code").getAsString(), body);
      return error.get("message").getAsString();
    }
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + pathAndQuery);
  }

  /** A request to {@code pathAndQuery} with the key as a Bearer token. */
  HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + KEY);
  }

  Response send(HttpRequest.Builder request) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.headers(), r.body());
  }

  Response post(String path, String json) throws IOException, InterruptedException {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  Response get(String pathAndQuery) throws IOException, InterruptedException {
    return send(request(pathAndQuery).GET());
  }

  /** A connected client, subscribed to {@code channel} once this returns; its publications go to the queue. */
  BlockingQueue<Publication> subscriber(String channel) throws Exception {
    PushClient client = client();
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    client.subscribe(channel, received::add).get(10, TimeUnit.SECONDS);
    return received;
  }

  /** A connected client. */
  PushClient client() throws Exception {
    PushClient client = PushClient.builder().uri("ws://127.0.0.1:" + server.port() + server.path()).build();
    clients.add(client);
    client.connect().get(10, TimeUnit.SECONDS);
    return client;
  }

  /** The next publication within 10 s. */
  static Publication next(BlockingQueue<Publication> queue) throws InterruptedException {
    Publication p = queue.poll(10, TimeUnit.SECONDS);
    if (p == null) {
      throw new AssertionError("no publication within 10 s");
    }
    return p;
  }

  @Override
  public void close() {
    clients.forEach(PushClient::close);
    server.close();
  }
}
