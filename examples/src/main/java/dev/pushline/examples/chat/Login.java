package dev.pushline.examples.chat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.pushline.examples.chat.TokenIssuer.Token;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The chat's login step, {@code POST /login}: takes a user name and answers with a token for the push
 * server.
 *
 * <pre>
 * POST /login   {"name": "alice"}
 * 200           {"user": "alice", "token": "eyJhbGciOiJIUzI1NiJ9...", "expiresAt": 1764099000000}
 * 400           {"error": "the user name may hold only ..."}
 * </pre>
 *
 * <h2>A demo login</h2>
 * There is no password: whoever names a user is that user, and two pages may take the same name. A real
 * application replaces {@link #handle} with its own login (a session cookie, OAuth, ...) and issues the
 * push token to whoever that login says the user is; the rest of the chat stays as it is, because the push
 * server trusts only the token's {@code sub}.
 *
 * <h2>Names</h2>
 * 1 to {@value #MAX_NAME_CHARS} characters, each a letter {@code A-Z a-z}, a digit, {@code _}, {@code -} or
 * {@code .}; nothing else (no spaces), so that a name shows the same everywhere and fits a channel name.
 * Case matters: {@code Alice} and {@code alice} are two users.
 *
 * <p>Thread-safe.
 */
final class Login {

  /** The longest user name. */
  static final int MAX_NAME_CHARS = 32;

  private static final Pattern NAME_CHAR = Pattern.compile("[A-Za-z0-9_.-]");

  private final TokenIssuer tokens;

  Login(TokenIssuer tokens) {
    this.tokens = Objects.requireNonNull(tokens, "tokens");
  }

  /**
   * Answers one {@code POST /login} request.
   *
   * @param body the request body, {@code {"name": "..."}}
   * @return the answer's JSON
   * @throws IllegalArgumentException when the body or the name is wrong, with a message for the user
   */
  String handle(String body) {
    String name = nameOf(body);
    String problem = nameProblem(name);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    Token token = tokens.issue(name);
    JsonObject answer = new JsonObject();
    answer.addProperty("user", token.user());
    answer.addProperty("token", token.jwt());
    answer.addProperty("expiresAt", token.expiresAt().toEpochMilli());
    return answer.toString();
  }

  /** Why {@code name} cannot be a user name, in words for the user; null when it can. */
  static String nameProblem(String name) {
    if (name.isEmpty()) {
      return "enter a user name: 1 to " + MAX_NAME_CHARS + " letters, digits, _ - or .";
    }
    int chars = name.codePointCount(0, name.length());
    if (chars > MAX_NAME_CHARS) {
      return "the user name is " + chars + " characters long; the limit is " + MAX_NAME_CHARS;
    }
    int bad = name.codePoints().filter(c -> !NAME_CHAR.matcher(Character.toString(c)).matches())
        .findFirst().orElse(-1);
    if (bad >= 0) {
      String shown = bad == ' ' ? "a space"
          : Character.isWhitespace(bad) || Character.isISOControl(bad) ? String.format("U+%04X", bad)
          : "\"" + Character.toString(bad) + "\"";
      return "the user name may hold only letters A-Z a-z, digits, _ - and . (not " + shown + ")";
    }
    return null;
  }

  private static String nameOf(String body) {
    JsonElement json;
    try {
      json = JsonParser.parseString(body);
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("the request must be JSON: {\"name\": \"...\"}");
    }
    if (!json.isJsonObject() || !json.getAsJsonObject().has("name")) {
      throw new IllegalArgumentException("the request must be {\"name\": \"...\"}");
    }
    JsonElement name = json.getAsJsonObject().get("name");
    if (!name.isJsonPrimitive() || !name.getAsJsonPrimitive().isString()) {
      throw new IllegalArgumentException("name must be a string");
    }
    return name.getAsString();
  }
}
