package dev.pushline.client;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.ConnectionListener;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import dev.pushline.auth.Authenticator;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.JwtAuthenticator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client's credentials: a token per connection attempt, and a fresh one when the server asks. */
class PushClientAuthTest {

  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

  private final Recorder recorder = new Recorder();
  private final BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();
  private final BlockingQueue<Integer> serverSideCloses = new LinkedBlockingQueue<>();
  private PushServer server;
  private PushClient client;

  @AfterEach
  void close() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static String token(String user, Instant expiresAt) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
        .subject(user).expirationTime(Date.from(expiresAt)).build());
    jwt.sign(new MACSigner(SECRET));
    return jwt.serialize();
  }

  private void start(Authenticator authenticator, Duration grace) {
    server = PushServer.builder().host("127.0.0.1").port(0).authenticator(authenticator)
        .connectTimeout(Duration.ofMillis(300)).tokenExpiryGrace(grace)
        .connectionListener(new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            opened.add(connection);
          }

          @Override
          public void onClosed(ClientConnection connection, int code, String reason) {
            serverSideCloses.add(code);
          }
        }).build().start();
  }

  private PushClient.Builder clientFor() {
    return PushClient.builder().uri("ws://127.0.0.1:" + server.port() + server.path())
        .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(100)).listener(recorder);
  }

  @Test
  void theTokenAuthenticatesTheConnectionAndOpensTheUsersPersonalChannel() throws Exception {
    start(JwtAuthenticator.hs256(SECRET).build(), Duration.ofSeconds(10));
    String token = token("alice", Instant.now().plusSeconds(3600));
    client = clientFor().token(() -> token).build();
    client.connect();

    ClientConnection connection = opened.poll(10, SECONDS);
    assertNotNull(connection);
    assertEquals("alice", connection.principal().userId());
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    client.subscribe("user:alice", received::add).get(10, SECONDS);
    server.channel("user:alice").publish("note", "for alice");
    assertEquals("for alice", received.poll(10, SECONDS).data().getAsString());
  }

  @Test
  void withoutATokenTheServerClosesAfterItsConnectTimeoutAndTheClientDoesNotRetry() throws Exception {
    start(JwtAuthenticator.hs256(SECRET).build(), Duration.ofSeconds(10));
    client = clientFor().build();
    client.connect();

    recorder.next(Recorder.Connecting.class);
    // 3501 means: don't reconnect with the same credentials; so no Disconnected-then-retry, a Closed.
    Recorder.Closed closed = recorder.next(Recorder.Closed.class);
    assertEquals(CloseCodes.UNAUTHORIZED, closed.code());
    assertNull(opened.poll(), "the host never hears of a connection that did not authenticate");
  }

  @Test
  void anExpiringTokenIsRefreshedAndTheConnectionStays() throws Exception {
    AtomicInteger authentications = new AtomicInteger();
    BlockingQueue<Instant> accepted = new LinkedBlockingQueue<>();
    JwtAuthenticator jwt = JwtAuthenticator.hs256(SECRET).clockSkew(Duration.ZERO).build(); // expires at exp
    start(request -> {
      authentications.incrementAndGet();
      ConnectDecision d = jwt.authenticate(request);
      if (d.accepted()) {
        accepted.add(d.principal().expiresAt());
      }
      return d;
    }, Duration.ofMillis(500));
    // JWT times have whole seconds: the first token expires within two to three, so that it is still valid
    // when the (possibly slow, loaded) handshake checks it; with +1 s it could expire first and be refused.
    String first = token("bob", Instant.now().plusSeconds(3));
    String second = token("bob", Instant.now().plusSeconds(3600));
    AtomicInteger asked = new AtomicInteger();
    client = clientFor().token(() -> asked.getAndIncrement() == 0 ? first : second).build();
    client.connect();
    ClientConnection connection = opened.poll(10, SECONDS);
    assertNotNull(connection);
    Instant firstExpiry = accepted.poll(10, SECONDS);

    Instant refreshedExpiry = accepted.poll(10, SECONDS);
    assertNotNull(refreshedExpiry, "the client answered token_expired with refresh");
    assertTrue(refreshedExpiry.isAfter(firstExpiry));
    assertEquals(2, authentications.get());

    // Absence check: the old grace (500 ms) passes without a close.
    assertNull(serverSideCloses.poll(1_500, java.util.concurrent.TimeUnit.MILLISECONDS));
    assertTrue(connection.isOpen());
    assertEquals(refreshedExpiry, connection.principal().expiresAt());
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    client.subscribe("news", received::add).get(10, SECONDS);
    server.channel("news").publish("n", 1);
    assertNotNull(received.poll(10, SECONDS));
  }
}
