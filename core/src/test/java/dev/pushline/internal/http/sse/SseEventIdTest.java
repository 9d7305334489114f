package dev.pushline.internal.http.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pushline.broker.StreamPosition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The id format: channel,epoch,offset entries joined by ';'. */
class SseEventIdTest {

  @Test
  void formatsEveryChannelInOrder() throws Exception {
    Map<String, StreamPosition> positions = new LinkedHashMap<>();
    positions.put("logs", new StreamPosition(57, "5c1e07a4d2b9f316"));
    positions.put("room:lobby", new StreamPosition(0, "77a0c4e1b9d2f365"));
    String id = EventId.format(positions);
    assertEquals("logs,5c1e07a4d2b9f316,57;room:lobby,77a0c4e1b9d2f365,0", id);
    assertEquals(positions, EventId.parse(id));
    assertEquals(List.copyOf(positions.keySet()), List.copyOf(EventId.parse(id).keySet()));
  }

  @Test
  void channelNamesWithEveryAllowedCharacterRoundTripUnchanged() throws Exception {
    String name = "aZ09_-.:@/=$~+";
    Map<String, StreamPosition> positions = Map.of(name, new StreamPosition(3, "e"));
    assertEquals(name + ",e,3", EventId.format(positions));
    assertEquals(positions, EventId.parse(EventId.format(positions)));
  }

  @Test
  void anEpochWithOtherCharactersIsPercentEncoded() throws Exception {
    String epoch = "a,b;c%d e\nf\u00e9\uD83D\uDE00";
    Map<String, StreamPosition> positions = Map.of("c", new StreamPosition(1, epoch));
    String id = EventId.format(positions);
    assertEquals("c,a%2Cb%3Bc%25d%20e%0Af%C3%A9%F0%9F%98%80,1", id);
    assertFalse(id.contains("\n") || id.contains("\r") || id.contains("\0"));
    assertEquals(positions, EventId.parse(id));
  }

  @Test
  void anEmptyIdHasNoPositions() throws Exception {
    assertEquals(Map.of(), EventId.parse(""));
    assertEquals("", EventId.format(Map.of()));
  }

  @Test
  void malformedIdsAreRefused() {
    for (String bad : List.of("logs", "logs,e", "logs,e,1,2", "logs,e,-1", "logs,e,+1", "logs,e,x",
        "logs,e,99999999999999999999", ",e,1", "bad name,e,1", "a,e,1;a,e,2", "a,e e,1", "a,e%2,1", "a,e%zz,1",
        "a,e,1;")) {
      assertThrows(EventId.Malformed.class, () -> EventId.parse(bad), bad);
    }
  }
}
