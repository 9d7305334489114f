package dev.pushline.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.auth.Authenticator;
import dev.pushline.auth.ChannelAuthorizer;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.ConnectRequest;
import dev.pushline.auth.Principal;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.HandshakeDecision;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The admission rules (origin, token, authenticator) and the channel rules, without a server. */
class AccessTest {

  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final Principal ALICE = Principal.user("alice");
  private static final Principal BOB = Principal.user("bob");

  private static Access access(Authenticator authenticator, ChannelAuthorizer authorizer, Set<String> origins) {
    return new Access(new SecurityConfig(authenticator, authorizer, origins, Duration.ofSeconds(5),
        Duration.ofSeconds(10), 100, 1_000, 255), CLOCK);
  }

  private static Access origins(String... allowed) {
    return access(null, ChannelAuthorizer.DEFAULT, Set.of(allowed));
  }

  private static Access authorizer(ChannelAuthorizer authorizer) {
    return access(null, authorizer, Set.of());
  }

  /** An opening request with {@code headers} (name, value, name, value...) and {@code query}. */
  private static Handshake handshake(String query, String... headers) {
    Map<String, List<String>> map = new LinkedHashMap<>();
    for (int i = 0; i < headers.length; i += 2) {
      map.computeIfAbsent(headers[i], k -> new ArrayList<>()).add(headers[i + 1]);
    }
    return new Handshake("/pushline", query, map, null);
  }

  private static Access.Admission admission(HandshakeDecision decision) {
    assertTrue(decision.accepted(), "refused: " + decision);
    return (Access.Admission) decision.context();
  }

  private static void assertRefused(HandshakeDecision decision, int status) {
    assertFalse(decision.accepted(), "accepted: " + decision);
    assertEquals(status, decision.status(), decision.toString());
  }

  // --- origin -------------------------------------------------------------------------------------

  @Test
  void requestWithoutOriginIsNotChecked() {
    assertTrue(origins().admit(handshake("", "host", "push.example.com")).accepted());
    assertTrue(origins("https://app.example.com").admit(handshake("")).accepted());
  }

  @ParameterizedTest(name = "{0} from {1}")
  @CsvSource({
      "http://127.0.0.1:8025, 127.0.0.1:8025",
      "https://push.example.com, push.example.com",
      "https://push.example.com, push.example.com:443",
      "http://push.example.com, push.example.com",
      "http://push.example.com, push.example.com:80",
      "HTTPS://Push.Example.COM, push.example.com",
      "http://[::1]:8025, [::1]:8025",
      "http://[::1], [::1]",
      "https://[2001:db8::7], [2001:DB8::7]:443",
  })
  void sameOriginIsAllowedByDefault(String origin, String host) {
    assertTrue(origins().admit(handshake("", "origin", origin, "host", host)).accepted());
  }

  @ParameterizedTest(name = "{0} from {1}")
  @CsvSource({
      "http://127.0.0.1:8026, 127.0.0.1:8025",
      "http://localhost:8025, 127.0.0.1:8025",
      "https://evil.example, push.example.com",
      "https://push.example.com.evil.example, push.example.com",
      "https://evilpush.example.com, push.example.com",
      "http://push.example.com, push.example.com:443",
      "https://push.example.com, push.example.com:80",
      "https://push.example.com:8443, push.example.com",
      "http://[::1]:8026, [::1]:8025",
      "http://[::2]:8025, [::1]:8025",
      "null, push.example.com",
      "file://, push.example.com",
      "chrome-extension://abcdef, push.example.com",
      "https://push.example.com/, push.example.com",
      "https://push.example.com/path, push.example.com",
      "not an origin, push.example.com",
  })
  void crossOriginIsRefusedWith403ByDefault(String origin, String host) {
    assertRefused(origins().admit(handshake("", "origin", origin, "host", host)), 403);
  }

  @Test
  void originWithoutHostHeaderIsRefused() {
    assertRefused(origins().admit(handshake("", "origin", "https://push.example.com")), 403);
  }

  @Test
  void allowListAllowsItsOriginsOnly() {
    Access access = origins("https://app.example.com", "http://localhost:3000");

    assertTrue(access.admit(handshake("", "origin", "https://app.example.com", "host", "push.example.com"))
        .accepted());
    assertTrue(access.admit(handshake("", "origin", "HTTP://LOCALHOST:3000", "host", "push.example.com"))
        .accepted());
    assertRefused(access.admit(handshake("", "origin", "http://localhost:3001", "host", "push.example.com")),
        403);
    assertRefused(access.admit(handshake("", "origin", "http://app.example.com", "host", "push.example.com")),
        403);
    assertRefused(access.admit(handshake("", "origin", "null", "host", "push.example.com")), 403);
  }

  @Test
  void allowListReplacesTheSameOriginDefault() {
    Access access = origins("https://app.example.com");

    assertRefused(access.admit(handshake("", "origin", "https://push.example.com", "host", "push.example.com")),
        403);
  }

  @Test
  void starAllowsEveryOriginIncludingNull() {
    Access access = origins("*");

    for (String origin : List.of("https://evil.example", "null", "file://", "whatever")) {
      assertTrue(access.admit(handshake("", "origin", origin, "host", "push.example.com")).accepted(), origin);
    }
  }

  // --- tokens and the authenticator ---------------------------------------------------------------

  /** An authenticator that records each request and accepts the token "good" only. */
  private static final class Recording implements Authenticator {
    final BlockingQueue<ConnectRequest> requests = new LinkedBlockingQueue<>();

    @Override
    public ConnectDecision authenticate(ConnectRequest request) {
      requests.add(request);
      return "good".equals(request.token()) ? ConnectDecision.accept(ALICE) : ConnectDecision.reject("bad token");
    }
  }

  @Test
  void withoutAuthenticatorEveryoneIsAnonymous() {
    Access.Admission admission = admission(origins().admit(handshake("token=whatever")));

    assertSame(Principal.ANONYMOUS, admission.principal());
    assertFalse(admission.awaitsConnect());
  }

  @ParameterizedTest(name = "{0} / {1}")
  @CsvSource(delimiter = '|', value = {
      "Bearer good | ''",
      "bearer good | ''",
      "BEARER   good   | ''",
      "'' | token=good",
      "'' | a=1&token=good&b=2",
      "'' | token=%67ood",
      "Bearer good | token=bad",
      "Basic YWxpY2U6c2VjcmV0 | token=good",
  })
  void tokenComesFromTheBearerHeaderElseTheQuery(String authorization, String query) {
    Recording authenticator = new Recording();
    Access access = access(authenticator, ChannelAuthorizer.DEFAULT, Set.of());

    Handshake h = authorization.isEmpty() ? handshake(query) : handshake(query, "authorization", authorization);
    Access.Admission admission = admission(access.admit(h));

    assertSame(ALICE, admission.principal());
    assertEquals("good", authenticator.requests.poll().token());
  }

  @Test
  void badTokenIsRefusedWith401AndTheAuthenticatorsReason() {
    Access access = access(new Recording(), ChannelAuthorizer.DEFAULT, Set.of());

    HandshakeDecision decision = access.admit(handshake("", "authorization", "Bearer forged"));

    assertRefused(decision, 401);
    assertEquals("bad token", decision.reason());
  }

  @Test
  void requestWithoutTokenIsUpgradedAndAwaitsConnect() {
    Access access = access(new Recording(), ChannelAuthorizer.DEFAULT, Set.of());

    for (Handshake h : List.of(handshake(""), handshake("token="), handshake("", "authorization", "Bearer "),
        handshake("", "authorization", "Basic YWxpY2U6c2VjcmV0"))) {
      Access.Admission admission = admission(access.admit(h));
      assertTrue(admission.awaitsConnect(), h.toString());
      assertNull(admission.principal());
    }
  }

  @Test
  void originIsCheckedBeforeTheToken() {
    Recording authenticator = new Recording();
    Access access = access(authenticator, ChannelAuthorizer.DEFAULT, Set.of());

    assertRefused(access.admit(handshake("token=good", "origin", "https://evil.example", "host", "a.example")),
        403);
    assertTrue(authenticator.requests.isEmpty(), "the authenticator was asked about a cross-origin request");
  }

  @Test
  void authenticatorThatThrowsOrReturnsNullRefusesAndIsLogged() {
    Access throwing = access(r -> {
      throw new IllegalStateException("key store unavailable");
    }, ChannelAuthorizer.DEFAULT, Set.of());
    Access returningNull = access(r -> null, ChannelAuthorizer.DEFAULT, Set.of());

    String log = captureLog(() -> {
      assertRefused(throwing.admit(handshake("token=good")), 401);
      assertRefused(returningNull.admit(handshake("token=good")), 401);
    });

    assertTrue(log.contains("authenticator failed") && log.contains("key store unavailable"), log);
    assertTrue(log.contains("authenticator returned null"), log);
    assertFalse(log.contains("token=good"), "a token was logged: " + log);
  }

  @Test
  void principalWhoseCredentialsAlreadyExpiredIsRefused() {
    Principal expired = new Principal("alice", Map.of(), Set.of(), NOW);
    Principal valid = new Principal("alice", Map.of(), Set.of(), NOW.plusMillis(1));

    assertRefused(access(r -> ConnectDecision.accept(expired), ChannelAuthorizer.DEFAULT, Set.of())
        .admit(handshake("token=x")), 401);
    assertTrue(access(r -> ConnectDecision.accept(valid), ChannelAuthorizer.DEFAULT, Set.of())
        .admit(handshake("token=x")).accepted());
  }

  // --- channels -----------------------------------------------------------------------------------

  /** Allows everything and records what it was asked. */
  private static final class Permissive implements ChannelAuthorizer {
    final List<String> asked = new ArrayList<>();

    @Override
    public boolean maySubscribe(Principal principal, String channel) {
      asked.add("subscribe " + principal.userId() + " " + channel);
      return true;
    }

    @Override
    public boolean mayPublish(Principal principal, String channel) {
      asked.add("publish " + principal.userId() + " " + channel);
      return true;
    }
  }

  /** Refuses everything. */
  private static final ChannelAuthorizer NOTHING = new ChannelAuthorizer() {
    @Override
    public boolean maySubscribe(Principal principal, String channel) {
      return false;
    }

    @Override
    public boolean mayPublish(Principal principal, String channel) {
      return false;
    }
  };

  @Test
  void personalChannelIsForItsOwnerOnlyWhateverTheAuthorizerSays() {
    Permissive permissive = new Permissive();
    Access access = authorizer(permissive);

    assertTrue(access.maySubscribe(ALICE, "user:alice"));
    assertFalse(access.maySubscribe(BOB, "user:alice"));
    assertFalse(access.maySubscribe(Principal.ANONYMOUS, "user:alice"));
    assertFalse(access.maySubscribe(Principal.ANONYMOUS, "user:"));
    assertFalse(access.maySubscribe(ALICE, "user:alice:extra"));
    assertFalse(access.maySubscribe(ALICE, "user:alicex"));
    assertFalse(access.maySubscribe(ALICE, "user:ALICE"));
    assertFalse(access.mayPublish(BOB, "user:alice"));
    assertEquals(List.of(), permissive.asked);

    assertTrue(authorizer(NOTHING).maySubscribe(ALICE, "user:alice"), "the owner's subscribe is not asked");
  }

  @Test
  void ownerPublishingToTheirPersonalChannelAsksTheAuthorizer() {
    Permissive permissive = new Permissive();

    assertTrue(authorizer(permissive).mayPublish(ALICE, "user:alice"));
    assertEquals(List.of("publish alice user:alice"), permissive.asked);
    assertFalse(authorizer(NOTHING).mayPublish(ALICE, "user:alice"));
  }

  @Test
  void grantedChannelsNeedNoAuthorizerForSubscribeOnly() {
    Principal granted = new Principal("alice", Map.of(), Set.of("private:team", "user:bob"), null);
    Access access = authorizer(NOTHING);

    assertTrue(access.maySubscribe(granted, "private:team"));
    assertFalse(access.mayPublish(granted, "private:team"), "a grant is for subscribing");
    assertFalse(access.maySubscribe(granted, "user:bob"), "a grant cannot open another user's channel");
    assertFalse(access.maySubscribe(granted, "private:other"));
  }

  @Test
  void defaultAuthorizerRefusesPrivateChannelsAndAllowsTheRest() {
    Access access = authorizer(ChannelAuthorizer.DEFAULT);

    for (Principal p : List.of(ALICE, Principal.ANONYMOUS)) {
      assertFalse(access.maySubscribe(p, "private:team"));
      assertFalse(access.mayPublish(p, "private:team"));
      assertTrue(access.maySubscribe(p, "news"));
      assertTrue(access.mayPublish(p, "news"));
    }
  }

  @Test
  void authorizerThatThrowsRefusesAndIsLogged() {
    Access access = authorizer(new ChannelAuthorizer() {
      @Override
      public boolean maySubscribe(Principal principal, String channel) {
        throw new IllegalStateException("acl service down");
      }

      @Override
      public boolean mayPublish(Principal principal, String channel) {
        throw new IllegalStateException("acl service down");
      }
    });

    String log = captureLog(() -> {
      assertFalse(access.maySubscribe(ALICE, "news"));
      assertFalse(access.mayPublish(ALICE, "news"));
    });

    assertTrue(log.contains("channel authorizer failed on subscribe of user alice to news"), log);
    assertTrue(log.contains("channel authorizer failed on publish of user alice to news"), log);
    assertTrue(log.contains("acl service down"), log);
  }

  /** What the test binding (slf4j-simple, which writes to the current System.err) logged while running. */
  private static String captureLog(Runnable action) {
    PrintStream original = System.err;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(original);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
