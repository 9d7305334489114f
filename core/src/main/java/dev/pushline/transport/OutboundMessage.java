package dev.pushline.transport;

/**
 * A text message prepared by {@link Transport#prepare} once and sent to any number of connections of
 * that transport. Implementations are immutable.
 */
public interface OutboundMessage {

  /** The message text. */
  String text();

  /** The size this message takes on the wire, in bytes. */
  int sizeBytes();
}
