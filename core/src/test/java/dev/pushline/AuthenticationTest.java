package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.pushline.auth.JwtAuthenticator;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.Transport;
import dev.pushline.transport.TransportListener;
import dev.pushline.transport.TransportSettings;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server with a {@link JwtAuthenticator} through the in-memory transport, where time is a clock the
 * test holds: what the authenticator and the engine decide together.
 */
class AuthenticationTest {

  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private final MemoryTransport memory = new MemoryTransport();
  private final MutableClock clock = new MutableClock();
  private PushServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  private PushServer.Builder builder() {
    return PushServer.builder().clock(clock)
        .authenticator(JwtAuthenticator.hs256(SECRET).clock(clock).build());
  }

  private String token(String user, Instant exp) {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256),
        new JWTClaimsSet.Builder().subject(user).expirationTime(Date.from(exp)).build());
    try {
      jwt.sign(new MACSigner(SECRET));
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
    return jwt.serialize();
  }

  private static Handshake bearer(String token) {
    return new Handshake("/pushline", "", Map.of("authorization", List.of("Bearer " + token)),
        new InetSocketAddress("127.0.0.2", 40000));
  }

  private static JsonObject next(Peer peer) {
    return JsonParser.parseString(peer.next()).getAsJsonObject();
  }

  @Test
  void tokenWithinTheClockSkewOfItsExpiryIsAcceptedAndTheServerCountsTheSkewToo() {
    BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();
    server = builder().transport(memory).connectionListener(new ConnectionListener() {
      @Override
      public void onOpen(ClientConnection connection) {
        opened.add(connection);
      }
    }).build().start();
    Instant exp = clock.instant().minusSeconds(10); // the default skew is 30 s

    Peer peer = memory.connect(bearer(token("alice", exp)));

    assertEquals("welcome", next(peer).get("type").getAsString());
    assertEquals(exp.plusSeconds(30), awaitOpen(opened).principal().expiresAt(),
        "when the server takes the token to expire");
  }

  private static ClientConnection awaitOpen(BlockingQueue<ClientConnection> opened) {
    try {
      ClientConnection c = opened.poll(5, TimeUnit.SECONDS);
      assertNotNull(c, "onOpen within 5 s");
      return c;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aConnectionWaitingForItsConnectMessageIsNotListedUntilItAuthenticates() {
    server = builder().transport(memory).build().start();

    Peer peer = memory.connect(); // no token: upgraded, waits for connect
    assertEquals(1, server.connectionCount());
    assertTrue(server.connections().isEmpty(), "the host never sees an unauthenticated connection");
    peer.send("{\"type\":\"connect\",\"id\":1,\"token\":\"" + token("alice", clock.instant().plusSeconds(60))
        + "\"}");
    JsonObject welcome = next(peer);
    assertEquals("welcome", welcome.get("type").getAsString());

    ClientConnection listed = server.connections().get(0);
    assertEquals("alice", listed.principal().userId());
    assertEquals(listed, server.connection(welcome.get("client").getAsString()).orElseThrow());
  }

  @Test
  void tokenExpiredBeyondTheSkewIsRefusedAtTheHandshakeWith401() {
    server = builder().transport(memory).build().start();

    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> memory.connect(bearer(token("alice", clock.instant().minusSeconds(31)))));
    assertEquals("refused: 401 token expired", refused.getMessage());
  }

  @Test
  void credentialsThatExpireAtTheEndOfTimeAreServedAndRefreshed() {
    server = PushServer.builder().clock(clock).transport(memory).authenticator(request ->
        dev.pushline.auth.ConnectDecision.accept(new dev.pushline.auth.Principal("alice", Map.of(), Set.of(),
            Instant.MAX))).build().start();

    Peer peer = memory.connect(bearer("anything"));
    assertEquals("welcome", next(peer).get("type").getAsString());
    peer.send("{\"type\":\"refresh\",\"id\":2,\"token\":\"again\"}");
    assertEquals("refreshed", next(peer).get("type").getAsString());
    peer.send("{\"type\":\"ping\",\"id\":3}");
    assertEquals("pong", next(peer).get("type").getAsString());
  }

  /**
   * A connection whose token lasts an hour is gone once it closed: nothing (such as its expiry timer) keeps
   * it for the rest of the hour. Otherwise a client with one valid token could connect and disconnect in
   * a loop and fill the heap.
   */
  @Test
  void closedConnectionIsNotKeptUntilItsTokenExpires() throws InterruptedException {
    BlockingQueue<ClientConnection> closed = new LinkedBlockingQueue<>();
    server = builder().transport(memory).connectionListener(new ConnectionListener() {
      @Override
      public void onClosed(ClientConnection connection, int code, String reason) {
        closed.add(connection);
      }
    }).build().start();
    ReferenceQueue<ClientConnection> collected = new ReferenceQueue<>();

    WeakReference<ClientConnection> ref = connectAndLeave(closed, collected);

    for (int i = 0; i < 50 && collected.remove(100) == null; i++) {
      System.gc();
    }
    assertNull(ref.get(), "the closed connection is still reachable");
  }

  /** Connects with a token valid for an hour, disconnects, and returns a weak reference to the connection. */
  private WeakReference<ClientConnection> connectAndLeave(BlockingQueue<ClientConnection> closed,
      ReferenceQueue<ClientConnection> queue) throws InterruptedException {
    Peer peer = memory.connect(bearer(token("alice", clock.instant().plusSeconds(3_600))));
    assertEquals("welcome", next(peer).get("type").getAsString());
    peer.disconnect(1000);
    ClientConnection connection = closed.poll(5, TimeUnit.SECONDS);
    assertNotNull(connection, "onClosed within 5 s");
    return new WeakReference<>(connection, queue);
  }

  /**
   * A transport written before onHandshake existed (or a wrapper that does not forward it): the engine
   * decides after the upgrade and closes a refused connection with 1008 before saying anything.
   */
  @Test
  void transportThatDoesNotAskBeforeUpgradingGetsRefusalsAsPolicyViolation() throws InterruptedException {
    Transport legacy = new Transport() {
      @Override
      public InetSocketAddress start(TransportSettings settings, TransportListener listener) {
        return memory.start(settings, listener::onOpen); // onHandshake is left at its default: accept
      }

      @Override
      public OutboundMessage prepare(String text) {
        return memory.prepare(text);
      }

      @Override
      public void close(int code, String reason) {
        memory.close(code, reason);
      }
    };
    server = builder().transport(legacy).build().start();

    Peer forged = memory.connect(bearer(token("alice", clock.instant().plusSeconds(60)) + "x"));
    Peer crossOrigin = memory.connect(new Handshake("/pushline", "", Map.of("origin",
        List.of("https://evil.example"), "host", List.of("push.example.com")), null));
    Peer good = memory.connect(bearer(token("alice", clock.instant().plusSeconds(60))));

    assertEquals(CloseCodes.POLICY_VIOLATION, forged.awaitClose());
    assertEquals(CloseCodes.POLICY_VIOLATION, crossOrigin.awaitClose());
    assertTrue(forged.idle() && crossOrigin.idle(), "a refused connection was sent something");
    assertEquals("welcome", next(good).get("type").getAsString());
  }
}
