package dev.pushline;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonSyntaxException;
import java.util.Objects;

/**
 * One {@code rpc} request from a client, as its {@link RpcHandler} sees it.
 *
 * @param method the method the client called, one registered with {@link PushServer.Builder#rpc}
 * @param data the request's {@code data}, as JSON ({@code JsonNull} when the client sent none)
 * @param connection the client's connection: its {@link ClientConnection#id() id} and
 *     {@link ClientConnection#principal() principal} (who the client authenticated as) are there
 *
 * <p>Immutable, except that {@code data} is a Gson tree: treat it as read-only. Thread-safe.
 */
public record RpcCall(String method, JsonElement data, ClientConnection connection) {

  private static final Gson GSON = new Gson();

  public RpcCall {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(connection, "connection");
  }

  /**
   * The request's {@code data} converted to {@code type} with Gson's default mapping (records included);
   * null when the client sent none.
   *
   * @throws RpcException with code {@code bad_request} when {@code data} does not fit {@code type}: a
   *     handler that lets it pass answers the client with that code
   */
  public <T> T dataAs(Class<T> type) {
    Objects.requireNonNull(type, "type");
    try {
      return GSON.fromJson(data, type);
    } catch (JsonSyntaxException e) { // the client's data; a type Gson cannot make at all is the host's bug
      throw new RpcException("bad_request", "data does not have the shape method \"" + method + "\" expects",
          e);
    }
  }
}
