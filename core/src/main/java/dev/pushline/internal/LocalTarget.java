package dev.pushline.internal;

import dev.pushline.Publication;
import dev.pushline.Subscriber;
import dev.pushline.transport.OutboundMessage;

/** An in-process subscriber: publications are handed to its own serial executor, in order. */
final class LocalTarget implements Target {

  private final Subscriber subscriber;
  private final SerialExecutor executor;

  LocalTarget(Subscriber subscriber, SerialExecutor executor) {
    this.subscriber = subscriber;
    this.executor = executor;
  }

  @Override
  public Subscriber subscriber() {
    return subscriber;
  }

  @Override
  public boolean deliver(ChannelState channel, OutboundMessage frame, Publication publication) {
    executor.execute(() -> subscriber.onPublication(publication));
    return false; // not a remote delivery
  }
}
