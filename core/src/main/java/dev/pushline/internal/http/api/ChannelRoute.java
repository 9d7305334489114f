package dev.pushline.internal.http.api;

import dev.pushline.internal.HostChannels;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A request path under {@code /api/channels/}: {@code <channel>/history} or {@code <channel>/presence}.
 * The channel is everything between {@code /api/channels/} and the last {@code /}, percent-decoded: encode
 * it as one path segment ({@code encodeURIComponent}, so {@code /} is {@code %2F}), or leave its
 * {@code /}s as they are; either way {@code chat/room1} is
 * {@code /api/channels/chat%2Froom1/history} or {@code /api/channels/chat/room1/history}. {@code +} is a
 * plus sign, not a space. The other characters a channel name may hold ({@code _ - . : @ = $ ~ +}) need no
 * encoding in a path.
 *
 * @param channel the decoded channel name; not yet checked against the naming rule
 * @param action {@code history} or {@code presence}
 *
 * <p>Immutable; thread-safe.
 */
record ChannelRoute(String channel, String action) {

  static final String PREFIX = "/api/channels/";

  /**
   * The route of {@code rawPath} (as sent, still percent-encoded), or null when it is none of the two.
   *
   * @throws ApiError 400 when the channel's percent-encoding is malformed
   */
  static ChannelRoute parse(String rawPath) {
    if (!rawPath.startsWith(PREFIX)) {
      return null;
    }
    String rest = rawPath.substring(PREFIX.length());
    int slash = rest.lastIndexOf('/');
    if (slash < 0) {
      return null;
    }
    String action = rest.substring(slash + 1);
    if (!action.equals("history") && !action.equals("presence")) {
      return null;
    }
    String encoded = rest.substring(0, slash);
    try {
      return new ChannelRoute(URLDecoder.decode(encoded.replace("+", "%2B"), StandardCharsets.UTF_8), action);
    } catch (IllegalArgumentException e) { // the JDK's server refuses such a request line before us; in case
      throw ApiError.badRequest("the channel in the path is not validly percent-encoded: "
          + PublishRequest.clip(encoded));
    }
  }

  /**
   * The channel name, checked.
   *
   * @throws ApiError 400 when it breaks the naming rule
   */
  String validChannel() {
    String problem = HostChannels.channelProblem(channel);
    if (problem != null) {
      throw ApiError.badRequest(problem);
    }
    return channel;
  }
}
