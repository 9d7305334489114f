package dev.pushline.internal.stomp;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One STOMP frame as the client sent it: its command, its headers (unescaped; of a repeated header the
 * first, as the specification says), and its body.
 *
 * @param command the command, for example {@code SEND}
 * @param headers header values by name, in the order they came; unmodifiable
 * @param body the body bytes (not copied: do not change them)
 *
 * <p>Immutable once made; thread-safe.
 */
record StompFrame(String command, Map<String, String> headers, byte[] body) {

  StompFrame {
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
  }

  /** The value of header {@code name}, or null when absent. */
  String header(String name) {
    return headers.get(name);
  }

  /** Whether the frame carries header {@code name}. */
  boolean has(String name) {
    return headers.containsKey(name);
  }

  /**
   * The body as UTF-8 text.
   *
   * @throws StompException when it is not UTF-8 (a {@code content-length} that cuts a character in two)
   */
  String bodyText() throws StompException {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      throw new StompException("the body is not UTF-8");
    }
  }

  @Override
  public String toString() {
    return command + headers.keySet() + " (" + body.length + " bytes of body)";
  }
}
