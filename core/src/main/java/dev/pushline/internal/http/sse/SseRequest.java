package dev.pushline.internal.http.sse;

import dev.pushline.broker.StreamPosition;
import dev.pushline.internal.EngineConfig;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an SSE request asks for: its channels, how much history, and where to resume each channel.
 *
 * @param channels the {@code channel} query parameters, in order, each once
 * @param history the {@code history} query parameter, 0 when absent
 * @param resume the positions of {@code Last-Event-ID} (or the {@code lastEventId} query parameter) for the
 *     channels of this request; channels it does not name are subscribed afresh
 *
 * <p>Immutable; thread-safe.
 */
record SseRequest(List<String> channels, int history, Map<String, StreamPosition> resume) {

  /** The most channels one stream may carry: every one is named in every event id. */
  static final int MAX_CHANNELS = 64;
  /** The largest {@code history}, as for {@code subscribe}. */
  static final int MAX_HISTORY = 1_000_000;

  SseRequest {
    channels = List.copyOf(channels);
    resume = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(resume));
  }

  /** A request the server answers with 400 and this message. */
  static final class Invalid extends Exception {
    final String code;

    Invalid(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  /**
   * Reads a request.
   *
   * @param rawQuery the raw query string, or null
   * @param lastEventIdHeader the {@code Last-Event-ID} header, or null
   * @param maxChannelNameLength the server's limit for clients
   */
  static SseRequest parse(String rawQuery, String lastEventIdHeader, int maxChannelNameLength)
      throws Invalid {
    Set<String> channels = new LinkedHashSet<>();
    String history = null;
    String lastEventIdParam = null;
    for (String pair : rawQuery == null || rawQuery.isEmpty() ? new String[0] : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String key = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      switch (key) {
        case "channel" -> {
          String problem = channelProblem(value, maxChannelNameLength);
          if (problem != null) {
            throw new Invalid("invalid_channel", problem);
          }
          channels.add(value);
        }
        case "history" -> history = value;
        case "lastEventId" -> lastEventIdParam = value;
        default -> { } // token and anything the application adds: not ours
      }
    }
    if (channels.isEmpty()) {
      throw new Invalid("bad_request", "name at least one channel: ?channel=NAME (repeat for more)");
    }
    if (channels.size() > MAX_CHANNELS) {
      throw new Invalid("bad_request", channels.size() + " channels; one stream carries at most " + MAX_CHANNELS);
    }
    int last = 0;
    if (history != null) {
      try {
        last = Integer.parseInt(history);
      } catch (NumberFormatException e) {
        last = -1;
      }
      if (last < 0 || last > MAX_HISTORY || history.startsWith("+")) {
        throw new Invalid("bad_request", "history must be an integer from 0 to " + MAX_HISTORY);
      }
    }
    String id = lastEventIdHeader != null && !lastEventIdHeader.isBlank() ? lastEventIdHeader.trim()
        : lastEventIdParam != null ? lastEventIdParam.trim() : "";
    Map<String, StreamPosition> positions;
    try {
      positions = EventId.parse(id);
    } catch (EventId.Malformed e) {
      throw new Invalid("bad_request", "Last-Event-ID is not an id this server sent: " + e.getMessage());
    }
    Map<String, StreamPosition> resume = new LinkedHashMap<>();
    for (String c : channels) {
      StreamPosition p = positions.get(c);
      if (p != null) {
        resume.put(c, p);
      }
    }
    return new SseRequest(new ArrayList<>(channels), last, resume);
  }

  private static String channelProblem(String name, int maxLength) {
    if (name.length() > maxLength) {
      return "channel name is " + name.length() + " chars; the limit is " + maxLength;
    }
    try {
      EngineConfig.requireChannelName(name);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage() + (name.indexOf(' ') >= 0 ? " (send + as %2B)" : "");
    }
  }

  private static String decode(String s) throws Invalid {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new Invalid("bad_request", "a query parameter has a malformed %-escape");
    }
  }
}
