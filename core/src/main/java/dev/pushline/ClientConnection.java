package dev.pushline;

import dev.pushline.auth.Principal;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * The server-side view of one remote client's connection. It is a {@link Subscriber}: subscribing it to
 * a channel with {@link Channel#subscribe} subscribes the remote client.
 *
 * <p>Thread-safe.
 */
public interface ClientConnection extends Subscriber {

  /** The id the server gave this connection, also sent to the client in its {@code welcome}. */
  String id();

  /**
   * Who the client is, as the server's {@code Authenticator} established it ({@code Principal.ANONYMOUS}
   * on a server without one). Changes when the client refreshes its credentials. Never null once the host
   * hears of the connection.
   */
  Principal principal();

  /** The peer's address, or null when the transport has none. */
  InetSocketAddress remoteAddress();

  /** Names of the channels this connection is subscribed to right now. */
  Set<String> channels();

  /** Bytes queued for this client and not yet written to its socket. */
  long queuedBytes();

  /**
   * Publications of {@link ChannelOptions.SlowConsumerPolicy#KEEP_LATEST KEEP_LATEST} channels that were
   * replaced by a newer one while this client's queue was full.
   */
  long skippedPublications();

  /**
   * Switches logging of this connection's protocol messages on or off, at any time: while on, each
   * message the client sends and each message queued to it (replies, publications, {@code message}s) is
   * logged at INFO on the logger {@code dev.pushline.protocol}, with this connection's id and
   * {@code in} or {@code out}, the text cut to 2,000 characters. Lines are written on Pushline's callback
   * threads, in order. Off by default; when off it costs one volatile read per message.
   *
   * <p>The log then holds what clients send and receive: switch it on for one connection while debugging,
   * and set the logger {@code dev.pushline.protocol} to OFF where payloads must never reach the log.
   */
  void traceProtocol(boolean on);

  /** Whether the connection is still open. */
  boolean isOpen();

  /**
   * Sends an event to this client only, as a {@code message} frame.
   *
   * @param event the event name: 1 to 255 characters
   * @param data any object Gson can serialise, a {@code JsonElement}, or null
   * @return false if the connection is closed, so nothing was sent
   */
  boolean send(String event, Object data);

  /**
   * Closes this connection with close code {@link CloseCodes#DISCONNECT}: the client is told not to
   * reconnect.
   */
  void close(String reason);

  /**
   * Closes this connection with an application close code.
   *
   * @param code {@link CloseCodes#RECONNECT}, {@link CloseCodes#DISCONNECT}, or 4000..4999 (the
   *     application's own: 4000..4499 tell clients to reconnect, 4500..4999 not to)
   * @throws IllegalArgumentException if {@code code} is outside those
   */
  void close(int code, String reason);
}
