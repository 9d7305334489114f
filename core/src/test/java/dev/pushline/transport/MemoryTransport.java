package dev.pushline.transport;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory {@link Transport} for engine tests: no sockets, no threads. A test opens connections with
 * {@link #connect}, sends with {@link Peer#send} (delivered synchronously on the caller's thread, as a
 * transport's decoder thread would) and reads what the server sent from {@link Peer#next}.
 *
 * <p>It proves the SPI is the engine's only view of a transport. Thread-safe.
 */
public final class MemoryTransport implements Transport {

  private volatile TransportListener listener;
  private final Set<Peer> peers = ConcurrentHashMap.newKeySet();
  private final AtomicInteger prepared = new AtomicInteger();
  private volatile boolean closed;

  @Override
  public InetSocketAddress start(TransportSettings settings, TransportListener listener) {
    if (this.listener != null) {
      throw new IllegalStateException("started twice");
    }
    this.listener = listener;
    return new InetSocketAddress("127.0.0.1", 1);
  }

  @Override
  public OutboundMessage prepare(String text) {
    prepared.incrementAndGet();
    return new Message(text);
  }

  @Override
  public void close(int code, String reason) {
    closed = true;
    for (Peer p : peers) {
      p.closeFromServer(code, reason);
    }
  }

  /** How many messages {@link #prepare} framed so far. */
  public int preparedCount() {
    return prepared.get();
  }

  /** Opens a connection as a client would, with an empty handshake from 10.0.0.1. */
  public Peer connect() {
    if (listener == null || closed) {
      throw new IllegalStateException("transport not running");
    }
    return connect(new Handshake("/pushline", "", Map.of(),
        new InetSocketAddress("127.0.0.2", 40000 + peers.size())));
  }

  /**
   * Opens a connection with {@code handshake}, asking the listener first as a real transport does.
   *
   * @throws IllegalStateException if the listener refused the handshake (the message has its status)
   */
  public Peer connect(Handshake handshake) {
    if (listener == null || closed) {
      throw new IllegalStateException("transport not running");
    }
    dev.pushline.transport.HandshakeDecision decision = listener.onHandshake(handshake);
    if (!decision.accepted()) {
      throw new IllegalStateException("refused: " + decision.status() + " " + decision.reason());
    }
    Peer peer = new Peer(handshake, decision.context());
    peers.add(peer);
    peer.inbound = listener.onOpen(peer);
    return peer;
  }

  /** A message as prepared by this transport. */
  public record Message(String text) implements OutboundMessage {
    @Override
    public int sizeBytes() {
      return text.length();
    }
  }

  /** One in-memory connection; the test plays the client. */
  public final class Peer implements TransportConnection {
    private final Handshake handshake;
    private final Object context;
    private final BlockingQueue<OutboundMessage> received = new LinkedBlockingQueue<>();
    private volatile InboundListener inbound;
    private volatile int closeCode = -1;
    private volatile String closeReason;
    private final java.util.concurrent.CountDownLatch closedLatch = new java.util.concurrent.CountDownLatch(1);

    Peer(Handshake handshake, Object context) {
      this.handshake = handshake;
      this.context = context;
    }

    @Override
    public Handshake handshake() {
      return handshake;
    }

    @Override
    public Object context() {
      return context;
    }

    @Override
    public boolean send(OutboundMessage message) {
      if (closeCode != -1) {
        return false;
      }
      queued.addAndGet(message.sizeBytes());
      received.add(message);
      return true;
    }

    @Override
    public void close(int code, String reason) {
      closeFromServer(code, reason);
    }

    /** Messages the test has not read count as queued: a test that stops reading is a slow client. */
    @Override
    public long queuedBytes() {
      return queued.get();
    }

    private final java.util.concurrent.atomic.AtomicLong queued = new java.util.concurrent.atomic.AtomicLong();

    @Override
    public void notifyWhenDrained(long bytes) {
      beforeDrainCheck.run();
      drainAt = bytes;
      checkDrained();
    }

    private volatile long drainAt = -1;
    private volatile Runnable beforeDrainCheck = () -> {};
    private volatile java.util.function.Consumer<Runnable> drainedCall = Runnable::run;

    private void checkDrained() {
      long level = drainAt;
      if (level >= 0 && queuedBytes() <= level) {
        drainAt = -1;
        drainedCall.accept(inbound::onDrained);
      }
    }

    /**
     * Runs {@code hook} on the engine's thread each time it asks to hear of a drained queue, before the
     * queue is checked (as a real transport does, the check may call {@code onDrained} on that thread).
     */
    public void beforeDrainCheck(Runnable hook) {
      beforeDrainCheck = hook;
    }

    /**
     * Hands each {@code onDrained} call to {@code call} instead of making it at once: a test can hold one
     * back, as a real transport's I/O thread may be about to make it while the engine goes on.
     */
    public void interceptDrained(java.util.function.Consumer<Runnable> call) {
      drainedCall = call;
    }

    /** The client sends a text message; the server handles it on this thread. */
    public synchronized void send(String text) {
      if (closeCode == -1) {
        inbound.onText(text);
      }
    }

    /** The client goes away. */
    public void disconnect(int code) {
      closeFromServer(code, "client left");
    }

    /** The next message the server sent, waiting at most 5 s; fails the test when none comes. */
    public String next() {
      try {
        OutboundMessage m = received.poll(5, TimeUnit.SECONDS);
        if (m == null) {
          throw new AssertionError("no message from the server within 5 s");
        }
        queued.addAndGet(-m.sizeBytes());
        checkDrained();
        return m.text();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    /** The next message as the transport object itself (to check frames are shared). */
    public OutboundMessage nextMessage() throws InterruptedException {
      OutboundMessage m = received.poll(5, TimeUnit.SECONDS);
      if (m != null) {
        queued.addAndGet(-m.sizeBytes());
      }
      return m;
    }

    /** Whether the server sent nothing that has not been read. */
    public boolean idle() {
      return received.isEmpty();
    }

    public int closeCode() {
      return closeCode;
    }

    /** Waits at most 5 s for the server to close this connection and returns the close code. */
    public int awaitClose() throws InterruptedException {
      if (!closedLatch.await(5, TimeUnit.SECONDS)) {
        throw new AssertionError("not closed within 5 s");
      }
      return closeCode;
    }

    public String closeReason() {
      return closeReason;
    }

    private void closeFromServer(int code, String reason) {
      synchronized (this) {
        if (closeCode != -1) {
          return;
        }
        closeCode = code;
        closeReason = reason;
      }
      peers.remove(this);
      closedLatch.countDown();
      if (inbound != null) {
        inbound.onClosed(code, reason);
      }
    }
  }
}
