package dev.pushline.transport.websocket;

import java.util.List;
import org.java_websocket.protocols.IProtocol;

/**
 * The subprotocols the server speaks besides none at all, chosen by the client's preference.
 *
 * <p>Java-WebSocket's {@code Protocol} matches one name, and {@code Draft_6455} takes the first of its
 * list that the client offered, so with one {@code Protocol} per name the server's order would decide.
 * RFC 6455 (section 4.1) has the client list its subprotocols "ordered by preference"; this one walks
 * the client's list instead and keeps the first name it supports. It matches nothing when the client
 * offered none of them, so that the {@code Protocol("")} after it in the draft takes the connection
 * (no subprotocol: protocol v1), as before.
 *
 * <p>The draft is copied per connection ({@link #copyInstance}), so the choice is per connection, made
 * and read by that connection's decoder thread during its handshake.
 */
final class Subprotocols implements IProtocol {

  /** What the server speaks besides protocol v1 (which needs no subprotocol). */
  static final List<String> SUPPORTED = List.of("v12.stomp", "v11.stomp", "v10.stomp");

  private String chosen = "";

  @Override
  public boolean acceptProvidedProtocol(String offered) {
    chosen = "";
    if (offered == null) {
      return false;
    }
    for (String name : offered.split(",")) {
      String trimmed = name.trim();
      if (SUPPORTED.contains(trimmed)) {
        chosen = trimmed;
        return true;
      }
    }
    return false;
  }

  @Override
  public String getProvidedProtocol() {
    return chosen;
  }

  @Override
  public IProtocol copyInstance() {
    return new Subprotocols();
  }

  @Override
  public String toString() {
    return chosen.isEmpty() ? String.join(", ", SUPPORTED) : chosen;
  }
}
