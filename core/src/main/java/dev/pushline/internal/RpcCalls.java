package dev.pushline.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.pushline.RpcCall;
import dev.pushline.RpcException;
import dev.pushline.RpcHandler;
import dev.pushline.internal.Codec.BadRequest;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code rpc} requests of one session: starts each on the session's callback executor, and answers it
 * exactly once, with its result, an error, or {@code timeout}, whichever comes first.
 *
 * <h2>Concurrency</h2>
 * {@link #start} runs on the session's inbound thread, serially. A call is answered from the callback
 * thread that ran its handler, the thread that completed its future, or the engine's timer: whichever wins
 * its {@link Call#answered} flag sends the reply, the others do nothing. {@link #pending} holds the calls
 * not yet answered; only {@link #start} adds to it, so checking its size and adding cannot pass the limit.
 *
 * <p>Thread-safe.
 */
final class RpcCalls {

  private static final Logger log = LoggerFactory.getLogger(RpcCalls.class);
  private static final String INTERNAL_MESSAGE = "the server failed to handle this call";

  private final Engine engine;
  private final Session session;
  private final SerialExecutor callbacks;
  private final Set<Call> pending = ConcurrentHashMap.newKeySet();

  RpcCalls(Engine engine, Session session, SerialExecutor callbacks) {
    this.engine = engine;
    this.session = session;
    this.callbacks = callbacks;
  }

  /**
   * Starts the call {@code request} asks for; its handler runs later on the callback executor.
   *
   * @throws BadRequest when the request is malformed, names no registered method, or the connection has
   *     too many calls waiting for their reply
   */
  void start(long requestId, JsonObject request) {
    if (requestId < 0) {
      throw new BadRequest("bad_request", "an rpc needs an id to match its reply");
    }
    String method = Codec.string(request, "method");
    if (method.isEmpty()) {
      throw new BadRequest("bad_request", "method is empty");
    }
    RpcConfig config = engine.config.rpc();
    RpcHandler handler = config.handlers().get(method);
    if (handler == null) {
      throw new BadRequest("method_not_found", "no method \"" + Names.clip(method) + "\"");
    }
    if (pending.size() >= config.maxInFlight()) {
      throw new BadRequest("limit_exceeded", pending.size() + " calls are waiting for their reply; the limit is "
          + config.maxInFlight());
    }
    JsonElement data = request.has("data") ? request.get("data") : JsonNull.INSTANCE;
    Call call = new Call(requestId, method);
    pending.add(call);
    Future<?> timer = engine.runAfter(config.timeout().toMillis(), call::timedOut);
    call.timer = timer;
    if (call.answered.get() && timer != null) {
      timer.cancel(false); // answered before the timer was set: release() could not cancel it
    }
    if (!session.isOpen()) {
      call.drop(); // closed while this request was handled: closed() may have missed it
    }
    callbacks.execute(() -> call.run(handler, new RpcCall(method, data, session)));
  }

  /** The connection closed: no call is answered any more, no handler not yet started will run. */
  void closed() {
    for (Call call : pending) {
      call.drop();
    }
  }

  /** One call, from its request to its one answer. */
  private final class Call {
    private final long requestId;
    private final String method;
    /** Set by whoever answers (or drops) the call first. */
    final AtomicBoolean answered = new AtomicBoolean();
    /** The timeout task; null while {@link #start} schedules it, or when the engine is closed. */
    volatile Future<?> timer;

    Call(long requestId, String method) {
      this.requestId = requestId;
      this.method = method;
    }

    /** Runs the handler, on the session's callback executor. */
    void run(RpcHandler handler, RpcCall call) {
      if (answered.get()) {
        return; // timed out while queued behind other callbacks, or the connection closed: not called
      }
      Object result;
      try {
        result = handler.handle(call);
      } catch (Exception | StackOverflowError e) {
        failed(e);
        return;
      }
      if (result instanceof CompletionStage<?> stage) {
        stage.whenComplete((value, error) -> {
          if (error != null) {
            failed(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
          } else {
            succeeded(value);
          }
        });
      } else {
        succeeded(result);
      }
    }

    private void succeeded(Object value) {
      if (answered.get()) {
        return; // a late result: the client was told timeout (or is gone), so it is not even serialised
      }
      String text;
      try {
        text = Codec.rpcResult(requestId, Codec.toJson(value));
      } catch (RuntimeException | StackOverflowError e) {
        log.warn("client {}: the result of rpc \"{}\" cannot be serialised to JSON", session.id(), method, e);
        answer("internal", INTERNAL_MESSAGE);
        return;
      }
      long bytes = Metrics.utf8Length(text);
      if (bytes > engine.config.maxQueuedBytes()) {
        log.warn("client {}: the result of rpc \"{}\" is {} bytes, over maxQueuedBytes ({}); answered internal",
            session.id(), method, bytes, engine.config.maxQueuedBytes());
        answer("internal", INTERNAL_MESSAGE);
        return;
      }
      if (finish()) {
        session.sendText(text);
      }
    }

    private void failed(Throwable error) {
      if (error instanceof RpcException e) {
        log.debug("client {}: rpc \"{}\" answered {}", session.id(), method, e.code());
        if (finish()) {
          session.sendText(Codec.error(requestId, e.code(), e.getMessage()));
        }
        return;
      }
      log.warn("client {}: rpc \"{}\" failed", session.id(), method, error);
      answer("internal", INTERNAL_MESSAGE); // nothing if it timed out already
    }

    /** Runs on the engine's timer. */
    void timedOut() {
      long millis = engine.config.rpc().timeout().toMillis();
      log.debug("client {}: rpc \"{}\" not answered within {} ms", session.id(), method, millis);
      answer("timeout", "method \"" + method + "\" did not answer within " + millis + " ms");
    }

    /** Answers with an error of the protocol's own, counted in the metrics. */
    private void answer(String code, String message) {
      if (finish()) {
        engine.metrics.error(code);
        session.sendText(Codec.error(requestId, code, message));
      }
    }

    /**
     * Claims the call's one answer; true for the caller that may send it (and only while the connection is
     * open: a reply to a closed connection is dropped).
     */
    private boolean finish() {
      if (!answered.compareAndSet(false, true)) {
        return false;
      }
      release();
      return session.isOpen();
    }

    /** Answers nothing: the connection is gone. */
    void drop() {
      if (answered.compareAndSet(false, true)) {
        release();
      }
    }

    private void release() {
      pending.remove(this);
      Future<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
    }
  }
}
