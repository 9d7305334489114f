package dev.pushline.internal.http.api;

import com.sun.net.httpserver.Headers;
import dev.pushline.internal.RateLimiter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The API keys the server accepts, and a token bucket for each. A request carries its key in
 * {@code Authorization: Bearer <key>} or {@code X-Api-Key: <key>}, never in the URL. Keys are kept as SHA-256
 * digests and the presented key's digest is compared with every one of them in constant time
 * ({@link MessageDigest#isEqual}, no early exit), so neither the comparison's time nor the keys' lengths tell
 * a guesser anything.
 *
 * <p>Thread-safe: the digests never change; each bucket is used under its own monitor.
 */
final class ApiKeys {

  static final int MIN_LENGTH = 16;
  static final int MAX_LENGTH = 512;

  private static final Map<String, String> CHALLENGE = Map.of("WWW-Authenticate", "Bearer realm=\"pushline\"");

  private final byte[][] digests;
  private final RateLimiter[] buckets;

  ApiKeys(List<String> keys, int perSecond, int burst, Clock clock) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("at least one API key is needed");
    }
    digests = new byte[keys.size()][];
    buckets = new RateLimiter[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      String problem = problem(keys.get(i));
      if (problem != null) {
        throw new IllegalArgumentException("API key " + (i + 1) + " " + problem);
      }
      digests[i] = sha256(keys.get(i));
      buckets[i] = new RateLimiter(perSecond, burst, clock);
    }
  }

  /**
   * Null when {@code key} may be an API key, else why not, without the key itself (it is a secret): 16 to
   * 512 characters, each printable ASCII other than space.
   */
  static String problem(String key) {
    if (key.length() < MIN_LENGTH || key.length() > MAX_LENGTH) {
      return "is " + key.length() + " characters; it must be " + MIN_LENGTH + " to " + MAX_LENGTH
          + " (a random one: openssl rand -hex 32)";
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return "has a space, a control or a non-ASCII character at index " + i
            + "; it must be printable ASCII without spaces";
      }
    }
    return null;
  }

  /**
   * Which key the request carries: its index, for {@link #tryAcquire}.
   *
   * @throws ApiError 401 {@code unauthorized} with a {@code WWW-Authenticate} challenge when the request
   *     carries no key or a wrong one
   */
  int authenticate(Headers headers) {
    String presented;
    String authorization = headers.getFirst("Authorization");
    if (authorization != null) {
      if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
        throw unauthorized("the Authorization header must be \"Bearer <API key>\"");
      }
      presented = authorization.substring(7).trim();
    } else {
      presented = headers.getFirst("X-Api-Key");
    }
    if (presented == null || presented.isEmpty()) {
      throw unauthorized("an API key is required: send \"Authorization: Bearer <API key>\" "
          + "(or \"X-Api-Key: <API key>\"); keys in the URL are not read");
    }
    byte[] digest = sha256(presented);
    int found = -1;
    for (int i = 0; i < digests.length; i++) {
      if (MessageDigest.isEqual(digest, digests[i])) {
        found = i; // no break: every key is compared, whichever matches
      }
    }
    if (found < 0) {
      throw unauthorized("the API key is wrong");
    }
    return found;
  }

  /** Takes a token from key {@code key}'s bucket if it has one. */
  boolean tryAcquire(int key) {
    RateLimiter bucket = buckets[key];
    synchronized (bucket) {
      return bucket.tryAcquire();
    }
  }

  private static ApiError unauthorized(String message) {
    return new ApiError(401, "unauthorized", message, CHALLENGE);
  }

  private static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
