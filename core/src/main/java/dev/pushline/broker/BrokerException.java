package dev.pushline.broker;

import dev.pushline.PushException;

/**
 * A broker could not do what was asked: it is unreachable, timed out, or refused. When a publish fails
 * with it, the publication may or may not have been published (a timeout cannot tell); it was never
 * silently dropped after success was reported.
 */
public class BrokerException extends PushException {

  public BrokerException(String message) {
    super(message);
  }

  public BrokerException(String message, Throwable cause) {
    super(message, cause);
  }
}
