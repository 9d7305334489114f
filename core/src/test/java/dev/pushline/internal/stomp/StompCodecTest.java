package dev.pushline.internal.stomp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The STOMP frame codec: the grammar, escaping per version, content-length, limits, and hostile input. */
class StompCodecTest {

  private static final int MAX = 1024;

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Every frame in {@code input}, read with {@code version}; fails if anything is left over. */
  private static List<StompFrame> frames(String input, StompVersion version) throws StompException {
    StompCodec codec = new StompCodec(MAX);
    codec.feed(bytes(input));
    List<StompFrame> out = new ArrayList<>();
    StompFrame f;
    while ((f = codec.next(version)) != null) {
      out.add(f);
    }
    assertEquals(0, codec.pendingBytes(), "bytes left over");
    return out;
  }

  private static StompFrame one(String input, StompVersion version) throws StompException {
    List<StompFrame> frames = frames(input, version);
    assertEquals(1, frames.size(), frames.toString());
    return frames.get(0);
  }

  private static StompException refused(String input, StompVersion version) {
    StompCodec codec = new StompCodec(MAX);
    codec.feed(bytes(input));
    return assertThrows(StompException.class, () -> {
      while (codec.next(version) != null) {
        // read on until it throws
      }
      throw new AssertionError("no error for " + input.replace("\0", "^@"));
    });
  }

  @Test
  void readsCommandHeadersAndBody() throws StompException {
    StompFrame f = one("SEND\ndestination:/topic/a\nevent:x\n\nhello\0", StompVersion.V1_2);
    assertEquals("SEND", f.command());
    assertEquals(Map.of("destination", "/topic/a", "event", "x"), f.headers());
    assertEquals("hello", f.bodyText());
  }

  @Test
  void acceptsCrLfLineEndsAndEndOfLinesBetweenFrames() throws StompException {
    List<StompFrame> frames = frames("\n\r\nSEND\r\ndestination:/topic/a\r\n\r\nx\0\n\n\r\n"
        + "SUBSCRIBE\nid:1\ndestination:/topic/b\n\n\0\r\n", StompVersion.V1_2);
    assertEquals(2, frames.size());
    assertEquals("/topic/a", frames.get(0).header("destination"));
    assertEquals("x", new String(frames.get(0).body(), StandardCharsets.UTF_8));
    assertEquals("1", frames.get(1).header("id"));
  }

  @Test
  void heartBeatsAloneAreNoFrame() throws StompException {
    assertEquals(List.of(), frames("\n", StompVersion.V1_2));
    assertEquals(List.of(), frames("\r\n\n", StompVersion.V1_2));
  }

  @Test
  void theFirstOfARepeatedHeaderWins() throws StompException {
    StompFrame f = one("SEND\ndestination:/topic/a\ndestination:/topic/b\n\n\0", StompVersion.V1_2);
    assertEquals("/topic/a", f.header("destination"));
  }

  @Test
  void aValueKeepsRawColonsAfterTheFirst() throws StompException {
    assertEquals("e:7", one("SUBSCRIBE\nx-since:e:7\n\n\0", StompVersion.V1_2).header("x-since"));
  }

  static Stream<Arguments> escapes() {
    return Stream.of(
        Arguments.of(StompVersion.V1_2, "a\\cb", "a:b"),
        Arguments.of(StompVersion.V1_2, "a\\nb", "a\nb"),
        Arguments.of(StompVersion.V1_2, "a\\rb", "a\rb"),
        Arguments.of(StompVersion.V1_2, "a\\\\b", "a\\b"),
        Arguments.of(StompVersion.V1_2, "\\\\n", "\\n"),
        Arguments.of(StompVersion.V1_1, "a\\cb\\nc\\\\d", "a:b\nc\\d"),
        Arguments.of(StompVersion.V1_0, "a\\cb\\q", "a\\cb\\q")); // 1.0 has no escapes
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("escapes")
  void unescapesHeadersAsTheVersionSays(StompVersion version, String raw, String value) throws StompException {
    StompFrame f = one("SEND\nk" + raw + ":" + raw + "\n\n\0", version);
    assertEquals(value, f.header("k" + value));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\\tb", "a\\", "\\x", "a\\ b"})
  void anUndefinedEscapeIsAnError(String raw) {
    StompException e = refused("SEND\nk:" + raw + "\n\n\0", StompVersion.V1_2);
    assertTrue(e.getMessage().contains("escape"), e.getMessage());
  }

  @Test
  void crIsNoEscapeInStomp11() {
    refused("SEND\nk:a\\rb\n\n\0", StompVersion.V1_1);
  }

  @Test
  void connectHeadersAreNotUnescaped() throws StompException {
    StompFrame f = one("CONNECT\npasscode:a\\cb\\q\n\n\0", StompVersion.V1_2);
    assertEquals("a\\cb\\q", f.header("passcode"));
  }

  @Test
  void escapingRoundTripsEveryCharacterInEveryVersion() throws StompException {
    String nasty = "a:b\\c\nd\re:\\\\n:é€𝄞";
    for (StompVersion v : List.of(StompVersion.V1_1, StompVersion.V1_2)) {
      String text = StompCodec.encode("SEND", v, "", "k:" + nasty, nasty);
      // SEND is a client frame, so the codec can read it back
      StompFrame f = one(text, v);
      String expected = v == StompVersion.V1_2 ? nasty : nasty.replace('\r', ' ');
      assertEquals(expected, f.header(v == StompVersion.V1_2 ? "k:" + nasty : "k:" + nasty.replace('\r', ' ')));
    }
  }

  @Test
  void stomp10CannotCarryLineBreaksInHeadersSoTheyBecomeSpaces() throws StompException {
    String text = StompCodec.encode("SEND", StompVersion.V1_0, "", "k", "a\nb\rc");
    assertEquals("a b c", one(text, StompVersion.V1_0).header("k"));
  }

  @Test
  void connectedIsNeverEscaped() {
    assertEquals("CONNECTED\nversion:1.2\nserver:a:b\n\n\0",
        StompCodec.encode("CONNECTED", StompVersion.V1_2, "", "version", "1.2", "server", "a:b"));
  }

  @Test
  void encodeWritesContentLengthInUtf8Bytes() {
    String text = StompCodec.encode("MESSAGE", StompVersion.V1_2, "é€𝄞", "a", "b");
    assertEquals("MESSAGE\na:b\ncontent-length:9\n\né€𝄞\0", text);
  }

  @Test
  void contentLengthReadsABodyWithNulsInIt() throws StompException {
    StompFrame f = one("SEND\ncontent-length:5\n\na\0b\0c\0", StompVersion.V1_2);
    assertArrayEquals(new byte[] {'a', 0, 'b', 0, 'c'}, f.body());
  }

  @Test
  void contentLengthCountsBytesNotCharacters() throws StompException {
    assertEquals("€", one("SEND\ncontent-length:3\n\n€\0", StompVersion.V1_2).bodyText());
  }

  @Test
  void aBodyThatIsNotUtf8IsReadButIsNoText() throws StompException {
    StompCodec codec = new StompCodec(MAX);
    byte[] head = bytes("SEND\ncontent-length:2\n\n");
    byte[] input = java.util.Arrays.copyOf(head, head.length + 3);
    input[head.length] = (byte) 0xE2; // the first two bytes of €
    input[head.length + 1] = (byte) 0x82;
    codec.feed(input);
    StompFrame f = codec.next(StompVersion.V1_2);
    assertThrows(StompException.class, f::bodyText);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {
      "send\n\n\0", // commands are upper case
      "CONNECTED\n\n\0", // a server frame
      "MESSAGE\n\n\0",
      "HELLO\n\n\0",
      "\rSEND\n\n\0", // CR without LF between frames
      "SEND\nno-colon\n\n\0",
      "SEND\n:empty-name\n\n\0",
      "SEND\ncontent-length:x\n\n\0",
      "SEND\ncontent-length:-1\n\n\0",
      "SEND\ncontent-length: 1\n\nx\0",
      "SEND\ncontent-length:99999999999\n\n\0",
      "SEND\ncontent-length:2\n\nabc\0", // the byte after the body is not NUL
      "SEND\ncontent-length:2000\n\n\0", // over the frame limit
      "SEND\nk:\\t\n\n\0",
      "\0\n\n\0", // a NUL where a command should be
  })
  void malformedInputIsAnErrorNeverSomethingElse(String input) {
    StompException e = refused(input, StompVersion.V1_2);
    assertNotNull(e.getMessage());
  }

  @Test
  void headersAreNotUtf8IsAnError() {
    StompCodec codec = new StompCodec(MAX);
    codec.feed(new byte[] {'S', 'E', 'N', 'D', '\n', 'k', ':', (byte) 0xC3, '\n', '\n', 0});
    assertThrows(StompException.class, () -> codec.next(StompVersion.V1_2));
  }

  @Test
  void moreThanTheHeaderLimitIsAnError() {
    StringBuilder frame = new StringBuilder("SEND\n");
    for (int i = 0; i <= StompCodec.MAX_HEADERS; i++) {
      frame.append("h").append(i).append(":v\n");
    }
    StompException e = assertThrows(StompException.class, () -> {
      StompCodec codec = new StompCodec(1 << 20);
      codec.feed(bytes(frame + "\n\0"));
      codec.next(StompVersion.V1_2);
    });
    assertTrue(e.getMessage().contains("headers"), e.getMessage());
  }

  @Test
  void aFrameSplitOverMessagesIsReadOnceWhole() throws StompException {
    String frame = "SEND\ndestination:/topic/a\ncontent-length:3\n\na\0b\0";
    for (int cut = 1; cut < frame.length(); cut++) {
      StompCodec codec = new StompCodec(MAX);
      codec.feed(bytes(frame.substring(0, cut)));
      assertNull(codec.next(StompVersion.V1_2), "cut at " + cut);
      codec.feed(bytes(frame.substring(cut)));
      StompFrame f = codec.next(StompVersion.V1_2);
      assertNotNull(f, "cut at " + cut);
      assertArrayEquals(new byte[] {'a', 0, 'b'}, f.body());
      assertNull(codec.next(StompVersion.V1_2));
    }
  }

  @Test
  void anUnfinishedFrameLongerThanTheLimitIsAnError() {
    StompCodec codec = new StompCodec(64);
    StompException e = assertThrows(StompException.class, () -> {
      for (int i = 0; i < 100; i++) {
        codec.feed(bytes("SEND\nk:" + "v".repeat(10)));
        codec.next(StompVersion.V1_2);
      }
    });
    assertTrue(e.getMessage().contains("64"), e.getMessage());
  }

  @Test
  void aWholeFrameLongerThanTheLimitIsAnError() {
    StompCodec codec = new StompCodec(64);
    codec.feed(bytes("SEND\n\n" + "x".repeat(100) + "\0"));
    assertThrows(StompException.class, () -> codec.next(StompVersion.V1_2));
  }

  @Test
  void framesUpToTheLimitAreRead() throws StompException {
    String frame = "SEND\n\n" + "x".repeat(64 - 7) + "\0";
    assertEquals(64, bytes(frame).length);
    StompCodec codec = new StompCodec(64);
    codec.feed(bytes(frame));
    assertNotNull(codec.next(StompVersion.V1_2));
  }

  /**
   * Random bytes, and random mutations of valid frames: the codec returns frames or throws
   * {@link StompException}, and never anything else (no other exception, no endless loop).
   */
  @Test
  void randomInputOnlyEverGivesFramesOrStompExceptions() {
    Random random = new Random(42);
    String[] seeds = {
        "CONNECT\naccept-version:1.2\nheart-beat:10,10\n\n\0",
        "SEND\ndestination:/topic/a\ncontent-length:4\n\nab\0c\0\n",
        "SUBSCRIBE\nid:0\ndestination:/topic/x\\cy\nx-history:5\n\n\0",
    };
    byte[] alphabet = bytes("\n\r\0:\\cnrASENDUBCRIT0123456789-éa");
    for (int round = 0; round < 20_000; round++) {
      byte[] input;
      if (round % 2 == 0) {
        input = new byte[random.nextInt(40)];
        for (int i = 0; i < input.length; i++) {
          input[i] = alphabet[random.nextInt(alphabet.length)];
        }
      } else {
        input = bytes(seeds[random.nextInt(seeds.length)]);
        for (int m = random.nextInt(4); m >= 0; m--) {
          input[random.nextInt(input.length)] = alphabet[random.nextInt(alphabet.length)];
        }
      }
      StompCodec codec = new StompCodec(128);
      int cut = random.nextInt(input.length + 1);
      try {
        codec.feed(java.util.Arrays.copyOfRange(input, 0, cut));
        drain(codec);
        codec.feed(java.util.Arrays.copyOfRange(input, cut, input.length));
        drain(codec);
      } catch (StompException expected) {
        // a refusal is a fine answer to garbage
      }
    }
  }

  private static void drain(StompCodec codec) throws StompException {
    for (int i = 0; i < 1000; i++) {
      StompFrame f = codec.next(StompVersion.V1_2);
      if (f == null) {
        return;
      }
      try {
        f.bodyText();
      } catch (StompException notText) {
        // fine: a body may be bytes that are not UTF-8
      }
    }
    throw new AssertionError("more than 1000 frames from a few bytes: the codec loops");
  }

  @ParameterizedTest(name = "accept-version \"{0}\" → {1}")
  @CsvSource(delimiter = '|', nullValues = "null", value = {
      "1.2 | V1_2",
      "1.0,1.1,1.2 | V1_2",
      "1.2,1.1 | V1_2",
      "1.1 | V1_1",
      " 1.0 , 1.1 | V1_1",
      "1.0 | V1_0",
      "null | V1_0", // no header: a 1.0 client
      "2.0 | null",
      "'' | null",
  })
  void negotiatesTheHighestCommonVersion(String acceptVersion, StompVersion expected) {
    assertEquals(expected, StompVersion.negotiate(acceptVersion));
  }
}
