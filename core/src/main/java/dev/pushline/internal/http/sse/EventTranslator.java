package dev.pushline.internal.http.sse;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pushline.CloseCodes;
import dev.pushline.broker.StreamPosition;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the native protocol frames the engine sends one SSE stream into SSE events, and keeps the stream
 * position of each of the stream's channels for the events' {@code id:} (see {@link EventId}).
 *
 * <h2>Which position an id carries</h2>
 * An id must never claim more than the client received, or a resume would skip publications. So a channel's
 * position is the offset of the last publication of it written to the stream, with the epoch of its
 * {@code subscribed} reply. A {@code subscribed} reply sets the position only where nothing it covers is
 * still to come: after a recovered resume the position stays where the client resumes from (the missed
 * publications follow and advance it); after a fresh subscription or a failed resume it becomes the reply's
 * offset less the {@code history} asked for, so that a stream cut before the replayed history arrived
 * replays it again (resuming from there is recovered if history still holds it, else reported as a reset,
 * never a silent gap).
 *
 * <p>Not thread-safe: its {@link SseConnection} calls it under the connection's lock, in the order the
 * events are queued.
 */
final class EventTranslator {

  /** The stream's channels (from the request), by the id of the {@code subscribe} request sent for each. */
  private final Map<Long, String> channelOfRequest = new HashMap<>();
  private final java.util.Set<String> channels;
  private final int history;
  /** The stream's channels that have a position, in the order they got one. */
  private final Map<String, StreamPosition> positions = new LinkedHashMap<>();
  /** The id of the last event that had one; "" before. */
  private String id = "";
  /** A channel whose subscribe was answered {@code unavailable}: the stream should reconnect to retry. */
  private String unavailable;

  EventTranslator(List<String> channels, int history, Map<String, StreamPosition> resume) {
    this.channels = java.util.Set.copyOf(channels);
    for (int i = 0; i < channels.size(); i++) {
      channelOfRequest.put(i + 1L, channels.get(i));
      StreamPosition p = resume.get(channels.get(i));
      if (p != null) {
        positions.put(channels.get(i), p);
      }
    }
    this.history = history;
  }

  /** The request id of the {@code subscribe} sent for the {@code index}-th channel (from 0). */
  static long requestId(int index) {
    return index + 1L;
  }

  /**
   * The SSE text of one native frame ({@code text}, parsed as {@code frame}), or null when the frame has no
   * SSE form (replies to requests an SSE stream never sends).
   */
  String translate(String text, JsonObject frame) {
    String type = string(frame, "type");
    switch (type == null ? "" : type) {
      case "publication" -> {
        String channel = string(frame, "channel");
        StreamPosition p = positions.get(channel);
        if (p != null) {
          positions.put(channel, new StreamPosition(frame.get("offset").getAsLong(), p.epoch()));
          id = EventId.format(positions);
        }
        // Unnamed, so EventSource.onmessage sees it; the data is the native frame as it is.
        return event(null, text);
      }
      case "subscribed" -> {
        return subscribed(frame);
      }
      case "welcome" -> {
        JsonObject data = new JsonObject();
        data.add("client", frame.get("client"));
        data.add("heartbeatMs", frame.get("pingIntervalMs"));
        return event("welcome", data.toString());
      }
      case "error" -> {
        JsonObject data = new JsonObject();
        data.add("code", frame.get("code"));
        data.add("message", frame.get("message"));
        String channel = frame.has("id") ? channelOfRequest.get(frame.get("id").getAsLong()) : null;
        if (channel != null) {
          data.addProperty("channel", channel);
          if ("unavailable".equals(string(frame, "code"))) {
            unavailable = channel;
          }
        }
        return event("error", data.toString());
      }
      case "unsubscribed" -> {
        JsonObject data = new JsonObject();
        data.add("channel", frame.get("channel"));
        return event("unsubscribed", data.toString());
      }
      case "message" -> {
        JsonObject data = new JsonObject();
        data.add("event", frame.get("event"));
        data.add("data", frame.get("data"));
        return event("direct", data.toString());
      }
      default -> {
        return null; // pong, published, presence, refreshed, join, leave: never asked for on SSE
      }
    }
  }

  private String subscribed(JsonObject frame) {
    String channel = string(frame, "channel");
    long offset = frame.get("offset").getAsLong();
    String epoch = string(frame, "epoch");
    JsonElement recovered = frame.get("recovered");
    boolean ours = channels.contains(channel);
    boolean resumed = recovered != null && recovered.getAsBoolean();
    if (ours && !resumed) {
      positions.put(channel, new StreamPosition(Math.max(0, offset - history), epoch));
      id = EventId.format(positions);
    }
    JsonObject data = new JsonObject();
    data.addProperty("channel", channel);
    data.addProperty("offset", offset);
    data.addProperty("epoch", epoch);
    if (recovered != null) {
      data.add("recovered", recovered);
    }
    String subscribed = event("subscribed", data.toString());
    if (recovered == null || resumed) {
      return subscribed;
    }
    return subscribed + event("reset", data.toString()); // the "you missed something" signal, explicit
  }

  /**
   * The last event of a stream the server ends: {@code event: close} with the close code, the reason, and
   * whether the client should reconnect ({@link CloseCodes#shouldReconnect}).
   */
  String close(int code, String reason) {
    JsonObject data = new JsonObject();
    data.addProperty("code", code);
    data.addProperty("reason", reason);
    data.addProperty("reconnect", CloseCodes.shouldReconnect(code));
    return event("close", data.toString());
  }

  /** The channel whose subscribe was answered {@code unavailable} since the last call, or null. */
  String takeUnavailable() {
    String c = unavailable;
    unavailable = null;
    return c;
  }

  /** The current id ("" before any channel has a position). */
  String id() {
    return id;
  }

  /**
   * One event: {@code event:} when named, {@code id:} when the stream has positions, then the data. The
   * data is JSON written on one line; a line break in it (none in what Gson writes) would start another
   * {@code data:} line, which EventSource joins back with a newline.
   */
  private String event(String name, String data) {
    StringBuilder b = new StringBuilder(data.length() + id.length() + 32);
    if (name != null) {
      b.append("event: ").append(name).append('\n');
    }
    if (!id.isEmpty()) {
      b.append("id: ").append(id).append('\n');
    }
    appendData(b, data);
    return b.append('\n').toString();
  }

  static void appendData(StringBuilder b, String data) {
    int start = 0;
    for (int i = 0; i < data.length(); i++) {
      char c = data.charAt(i);
      if (c == '\n' || c == '\r') {
        b.append("data: ").append(data, start, i).append('\n');
        if (c == '\r' && i + 1 < data.length() && data.charAt(i + 1) == '\n') {
          i++;
        }
        start = i + 1;
      }
    }
    b.append("data: ").append(data, start, data.length()).append('\n');
  }

  private static String string(JsonObject o, String name) {
    JsonElement e = o.get(name);
    return e == null || !e.isJsonPrimitive() ? null : e.getAsString();
  }
}
