package dev.pushline.internal.http.sockjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SockJS framing: escaping that survives every transport, and strict parsing of {@code xhr_send} bodies. */
class SockJsFramesTest {

  @Test
  void arrayFramesEscapeWhatBrowsersMangle() {
    String nasty = "q\"b\\n\nr\rt\t\u0000\u001f\u007f\u200c\u2028\u2029\u2060\ufeff\ufff0\uffff\ud83d\ude00é";
    String frame = Frames.array(List.of(nasty, "plain"));
    assertEquals("a[\"q\\\"b\\\\n\\nr\\rt\\t\\u0000\\u001f\\u007f\\u200c\\u2028\\u2029\\u2060\ufeff\\ufff0\\uffff"
        + "\\ud83d\\ude00é\",\"plain\"]", frame);
    // Still JSON, and it decodes to the very same strings.
    assertEquals(nasty, JsonParser.parseString(frame.substring(1)).getAsJsonArray().get(0).getAsString());
    assertEquals("c[3001,\"slow \\\"consumer\\\"\"]", Frames.close(3001, "slow \"consumer\""));
  }

  @Test
  void xhrSendBodiesAreArraysOfStrings() throws Exception {
    assertEquals(List.of("a", "{\"type\":\"ping\"}", ""), Frames.parseMessages("[\"a\",\"{\\\"type\\\":\\\"ping\\\"}\",\"\"]"));
    assertEquals(List.of(), Frames.parseMessages(" [ ] "));
    assertEquals(List.of("\ud83d\ude00"), Frames.parseMessages("[\"\\ud83d\\ude00\"]"));
    for (String broken : new String[] {"[\"x", "[1]", "[null]", "[[\"x\"]]", "{\"a\":\"b\"}", "\"x\"", "[\"x\"] [",
        "['x']", "[x]", "[\"x\",]"}) {
      assertThrows(Frames.BrokenJson.class, () -> Frames.parseMessages(broken), broken);
    }
  }
}
