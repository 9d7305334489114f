package dev.pushline.client;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pushline.ClientInfo;
import dev.pushline.PushException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Presence as the client reads it: the {@code clients} of a {@code presence} reply and the {@code client}
 * of a {@code join} or {@code leave} event, each as a {@link ClientInfo}. Lenient like {@link Frames}: a
 * missing {@code user} is read as anonymous ({@code ""}), a missing {@code info} as JSON null.
 *
 * <p>Thread-safe (stateless).
 */
final class Presence {

  private static final Logger log = LoggerFactory.getLogger(Presence.class);

  private Presence() {}

  /**
   * The clients of a {@code presence} reply, in the server's order (which means nothing). An entry without
   * a {@code client} id is skipped and logged.
   *
   * @throws PushException if the reply has no {@code clients} array
   */
  static List<ClientInfo> clients(JsonObject reply) {
    if (!(reply.get("clients") instanceof JsonArray array)) {
      throw new PushException("the presence reply has no clients array");
    }
    List<ClientInfo> clients = new ArrayList<>(array.size());
    for (JsonElement entry : array) {
      ClientInfo client = client(entry);
      if (client == null) {
        log.warn("ignoring a presence entry without a client id: {}", entry);
      } else {
        clients.add(client);
      }
    }
    return List.copyOf(clients);
  }

  /** {@code {"client":..,"user":..,"info":..}} as a ClientInfo, or null without a string {@code client}. */
  static ClientInfo client(JsonElement element) {
    if (!(element instanceof JsonObject o)) {
      return null;
    }
    String clientId = Frames.string(o, "client");
    if (clientId == null) {
      return null;
    }
    String user = Frames.string(o, "user");
    return new ClientInfo(clientId, user == null ? "" : user, Frames.element(o, "info"));
  }
}
