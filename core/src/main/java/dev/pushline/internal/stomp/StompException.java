package dev.pushline.internal.stomp;

/**
 * A frame the client sent breaks STOMP or a limit of ours: the connection gets an {@code ERROR} frame with
 * the message and is closed. A client mistake, not a server failure, so it carries no stack trace.
 */
final class StompException extends Exception {

  StompException(String message) {
    super(message, null, false, false);
  }
}
