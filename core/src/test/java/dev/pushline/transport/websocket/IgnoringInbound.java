package dev.pushline.transport.websocket;

import dev.pushline.transport.InboundListener;

/** Ignores what a connection receives: for transport tests that only need connections to exist. */
final class IgnoringInbound implements InboundListener {

  static final InboundListener INSTANCE = new IgnoringInbound();

  private IgnoringInbound() {}

  @Override
  public void onText(String text) {}

  @Override
  public void onClosed(int code, String reason) {}
}
