package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import com.google.gson.JsonParser;
import java.lang.reflect.Proxy;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The RPC API's own rules: the builder's checks, {@link RpcException}'s codes, {@link RpcCall#dataAs}. */
class RpcApiTest {

  private static final RpcHandler ECHO = RpcCall::data;

  @ParameterizedTest
  @ValueSource(strings = {"echo", "orders.get", "a", "v1/users:find", "snake_case-and-dash", "X9"})
  void builderAcceptsSimpleMethodNames(String method) {
    PushServer.builder().rpc(method, ECHO);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "has space", "caf\u00e9", "semi;colon", "quote\"", "tab\t"})
  void builderRefusesOtherMethodNamesNamingTheRule(String method) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PushServer.builder().rpc(method, ECHO));
    assertTrue(e.getMessage().contains("letters, digits and _ - . : /"), e.getMessage());
  }

  @Test
  void builderRefusesMethodNamesOverOneHundredCharacters() {
    PushServer.builder().rpc("m".repeat(100), ECHO);
    assertThrows(IllegalArgumentException.class, () -> PushServer.builder().rpc("m".repeat(101), ECHO));
  }

  @Test
  void builderRefusesASecondHandlerForAMethod() {
    PushServer.Builder b = PushServer.builder().rpc("echo", ECHO);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.rpc("echo", ECHO));
    assertEquals("rpc method \"echo\" has a handler already", e.getMessage());
    b.rpc("Echo", ECHO); // case-sensitive: another method
  }

  @Test
  void builderRefusesNulls() {
    assertThrows(NullPointerException.class, () -> PushServer.builder().rpc(null, ECHO));
    assertThrows(NullPointerException.class, () -> PushServer.builder().rpc("echo", null));
    assertThrows(NullPointerException.class, () -> PushServer.builder().rpcTimeout(null));
  }

  @Test
  void rpcTimeoutIsFromOneHundredMillisecondsToTenMinutes() {
    PushServer.builder().rpcTimeout(Duration.ofMillis(100)).rpcTimeout(Duration.ofMinutes(10));
    for (Duration d : new Duration[] {Duration.ZERO, Duration.ofMillis(99), Duration.ofMinutes(10).plusMillis(1),
        Duration.ofSeconds(-1)}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> PushServer.builder().rpcTimeout(d));
      assertTrue(e.getMessage().startsWith("rpcTimeout is " + d), e.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"order_not_found", "x", "bad_request", "e2"})
  void rpcExceptionTakesLowerSnakeCaseCodes(String code) {
    RpcException e = new RpcException(code, "message");
    assertEquals(code, e.code());
    assertEquals("message", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Order", "order-not-found", "_x", "9lives", "with space", "caf\u00e9"})
  void rpcExceptionRefusesOtherCodes(String code) {
    assertThrows(IllegalArgumentException.class, () -> new RpcException(code, "message"));
  }

  @Test
  void rpcExceptionBoundsCodeAndMessage() {
    new RpcException("c".repeat(64), "m".repeat(1_000));
    assertThrows(IllegalArgumentException.class, () -> new RpcException("c".repeat(65), "m"));
    assertThrows(IllegalArgumentException.class, () -> new RpcException("c", "m".repeat(1_001)));
    assertThrows(IllegalArgumentException.class, () -> new RpcException(null, "m"));
    assertThrows(NullPointerException.class, () -> new RpcException("c", null));
  }

  record Point(int x, int y) {}

  /** A connection for building calls by hand; these tests never use it. */
  private static final ClientConnection CONNECTION = (ClientConnection) Proxy.newProxyInstance(
      RpcApiTest.class.getClassLoader(), new Class<?>[] {ClientConnection.class}, (proxy, method, args) -> {
        throw new UnsupportedOperationException(method.getName());
      });

  @Test
  void dataAsBindsObjectsToRecordsAndNullToNull() {
    RpcCall call = new RpcCall("m", JsonParser.parseString("{\"x\":1,\"y\":2}"), CONNECTION);
    assertEquals(new Point(1, 2), call.dataAs(Point.class));
    assertNull(new RpcCall("m", JsonNull.INSTANCE, CONNECTION).dataAs(Point.class));
  }

  @Test
  void dataThatDoesNotFitIsABadRequestNamingTheMethod() {
    RpcCall call = new RpcCall("points.add", JsonParser.parseString("{\"x\":\"one\"}"), CONNECTION);
    RpcException e = assertThrows(RpcException.class, () -> call.dataAs(Point.class));
    assertEquals("bad_request", e.code());
    assertEquals("data does not have the shape method \"points.add\" expects", e.getMessage());
  }
}
