package dev.pushline.internal;

import dev.pushline.Publication;
import dev.pushline.Subscriber;
import dev.pushline.transport.OutboundMessage;

/** A channel's recipient: a remote session or an in-process subscriber. */
interface Target {

  /** The subscriber this target delivers to. */
  Subscriber subscriber();

  /**
   * Delivers one publication; called under the channel's lock, in offset order, so it must not block.
   *
   * @param channel the channel publishing, whose lock the caller holds
   * @param frame the publication, framed once for every remote recipient
   * @param publication the same publication as a value, for in-process recipients
   * @return true if {@code frame} was queued to a remote connection (what the metrics count as a delivery)
   */
  boolean deliver(ChannelState channel, OutboundMessage frame, Publication publication);
}
