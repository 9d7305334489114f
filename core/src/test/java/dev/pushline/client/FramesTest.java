package dev.pushline.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.pushline.ClientInfo;
import dev.pushline.PushException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FramesTest {

  @Test
  void writesRequestsWithEscapedStrings() {
    assertEquals("{\"type\":\"subscribe\",\"id\":7,\"channel\":\"a\\\"b\"}", Frames.subscribe(7, "a\"b"));
    assertEquals("{\"type\":\"publish\",\"id\":1,\"channel\":\"c\",\"event\":\"e\",\"data\":{\"k\":\"<v>\"}}",
        Frames.publish(1, Frames.publishBody("c", "e", Frames.toJson(Map.of("k", "<v>")))));
    assertEquals("{\"type\":\"publish\",\"id\":2,\"channel\":\"c\",\"event\":\"e\",\"data\":null}",
        Frames.publish(2, Frames.publishBody("c", "e", Frames.toJson(null))));
  }

  @Test
  void writesSubscribeWithSinceAndHistoryOnlyWhenGiven() {
    assertEquals("{\"type\":\"subscribe\",\"id\":3,\"channel\":\"c\",\"since\":{\"offset\":12,\"epoch\":\"ab\"},"
        + "\"history\":5}", Frames.subscribe(3, "c", new PushClient.StreamPosition(12, "ab"), 5, false));
    assertEquals("{\"type\":\"subscribe\",\"id\":4,\"channel\":\"c\"}",
        Frames.subscribe(4, "c", null, 0, false));
    assertEquals("{\"type\":\"subscribe\",\"id\":5,\"channel\":\"c\",\"joinLeave\":true}",
        Frames.subscribe(5, "c", null, 0, true));
    assertEquals("{\"type\":\"presence\",\"id\":6,\"channel\":\"c\"}", Frames.presence(6, "c"));
    JsonObject f = Frames.parse("{\"yes\":true,\"no\":false,\"s\":\"true\"}");
    assertEquals(Boolean.TRUE, Frames.bool(f, "yes"));
    assertEquals(Boolean.FALSE, Frames.bool(f, "no"));
    assertNull(Frames.bool(f, "s"));
    assertNull(Frames.bool(f, "missing"));
  }

  @Test
  void readsFieldsLeniently() {
    JsonObject f = Frames.parse("{\"offset\":12,\"big\":1e3,\"frac\":1.5,\"neg\":-1,\"s\":\"x\",\"n\":null}");
    assertEquals(12, Frames.number(f, "offset"));
    assertEquals(1000, Frames.number(f, "big"));
    assertEquals(-1, Frames.number(f, "frac"));
    assertEquals(-1, Frames.number(f, "neg"));
    assertEquals(-1, Frames.number(f, "s"));
    assertEquals(-1, Frames.number(f, "missing"));
    assertEquals("x", Frames.string(f, "s"));
    assertNull(Frames.string(f, "offset"));
    assertNull(Frames.string(f, "n"));
    assertNull(Frames.parse("[1,2]"));
    assertThrows(JsonParseException.class, () -> Frames.parse("{\"a\":"));
  }

  @Test
  void utf8LengthMatchesTheEncoder() {
    for (String s : new String[] {"", "abc", "é", "€uro", "😀x"}) {
      int expected = s.getBytes(StandardCharsets.UTF_8).length;
      assertEquals(expected, Frames.utf8Length(s), s);
    }
  }

  @Test
  void loneSurrogatesAreRefusedBecauseWebSocketCannotSendThem() {
    assertEquals("ok 😀", Frames.requireWellFormed("channel", "ok 😀"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Frames.requireWellFormed("channel", "ab\uD800"));
    assertEquals("channel has a lone surrogate \\ud800 at index 2; it cannot be sent as UTF-8", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Frames.requireWellFormed("x", "\uDC00a"));
    assertThrows(IllegalArgumentException.class,
        () -> Frames.publishBody("c", "e", Frames.toJson("bad \uDBFF")));
  }

  @Test
  void publishIsEncodedOnceAndGetsItsIdWhenSent() {
    String body = Frames.publishBody("c", "e", Frames.toJson(1));
    assertEquals("{\"type\":\"publish\",\"id\":42,\"channel\":\"c\",\"event\":\"e\",\"data\":1}",
        Frames.publish(42, body));
  }

  @Test
  void dataGsonCannotSerialiseIsMisuse() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Frames.toJson(String.class));
    assertTrue(e.getMessage().contains("java.lang.Class"), e.getMessage());
  }

  @Test
  void readsPresenceLenientlySkippingEntriesWithoutAClientId() {
    JsonObject reply = Frames.parse("{\"type\":\"presence\",\"id\":1,\"channel\":\"c\",\"clients\":["
        + "{\"client\":\"a\",\"user\":\"alice\",\"info\":{\"name\":\"Alice\"}},"
        + "{\"client\":\"b\"},{\"user\":\"nobody\"},7]}");
    assertEquals(List.of(
            new ClientInfo("a", "alice", JsonParser.parseString("{\"name\":\"Alice\"}")),
            new ClientInfo("b", "", JsonNull.INSTANCE)),
        Presence.clients(reply));
    assertThrows(PushException.class, () -> Presence.clients(Frames.parse("{\"type\":\"presence\"}")));
    assertNull(Presence.client(JsonNull.INSTANCE));
  }
}
