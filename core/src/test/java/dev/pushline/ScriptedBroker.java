package dev.pushline;

import dev.pushline.testing.ForwardingBroker;
import dev.pushline.broker.BrokerException;
import dev.pushline.broker.BrokerHandler;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.MemoryBroker;
import dev.pushline.broker.StreamOptions;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link MemoryBroker} whose timing the test controls, to play what a networked broker does: history
 * reads answered late ({@link #holdReads}), live delivery late or lost ({@link #holdLive},
 * {@link #dropNextLive}), reads that fail ({@link #failReads}), and an interrupted delivery
 * ({@link #interrupt}). A held read is taken when it is asked (its snapshot is that moment's) and answered
 * when released, as a read over a network is.
 */
final class ScriptedBroker extends ForwardingBroker {

  private volatile BrokerHandler node;

  ScriptedBroker() {
    super(new MemoryBroker());
  }
  private volatile boolean holdReads;
  private volatile boolean holdLive;
  private volatile boolean failReads;
  private volatile boolean dropNextLive;
  private final BlockingQueue<Runnable> heldReads = new LinkedBlockingQueue<>();
  private final BlockingQueue<Runnable> heldLive = new LinkedBlockingQueue<>();

  void holdReads(boolean on) {
    holdReads = on;
  }

  void holdLive(boolean on) {
    holdLive = on;
  }

  void failReads(boolean on) {
    failReads = on;
  }

  void dropNextLive() {
    dropNextLive = true;
  }

  /** Answers the oldest held read, waiting up to 5 s for one to be asked. */
  void releaseRead() throws InterruptedException {
    Runnable r = heldReads.poll(5, TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("no history read was asked within 5 s");
    }
    r.run();
  }

  /** Delivers every held live publication, in order. */
  void releaseLive() {
    for (Runnable r; (r = heldLive.poll()) != null; ) {
      r.run();
    }
  }

  void interrupt() {
    node.onDeliveryInterrupted();
  }

  @Override
  public void start(BrokerHandler handler) {
    this.node = handler;
    delegate.start(new BrokerHandler() {
      @Override
      public void onPublication(Publication publication, String epoch) {
        if (dropNextLive) {
          dropNextLive = false;
          return;
        }
        if (holdLive) {
          heldLive.add(() -> handler.onPublication(publication, epoch));
        } else {
          handler.onPublication(publication, epoch);
        }
      }

      @Override
      public void onJoin(String channel, ClientInfo client) {
        handler.onJoin(channel, client);
      }

      @Override
      public void onLeave(String channel, ClientInfo client) {
        handler.onLeave(channel, client);
      }

      @Override
      public void onDeliveryInterrupted() {
        handler.onDeliveryInterrupted();
      }
    });
  }


  @Override
  public CompletableFuture<HistoryResult> history(String channel, HistoryQuery query, StreamOptions options) {
    if (failReads) {
      return CompletableFuture.failedFuture(new BrokerException("scripted failure reading " + channel));
    }
    CompletableFuture<HistoryResult> read = delegate.history(channel, query, options);
    if (!holdReads) {
      return read;
    }
    CompletableFuture<HistoryResult> late = new CompletableFuture<>();
    heldReads.add(() -> read.whenComplete((r, e) -> {
      if (e != null) {
        late.completeExceptionally(e);
      } else {
        late.complete(r);
      }
    }));
    return late;
  }








}
