package dev.pushline;

/**
 * Answers one RPC method that clients call with an {@code rpc} request. Register one per method with
 * {@link PushServer.Builder#rpc}.
 *
 * <pre>{@code
 * PushServer server = PushServer.builder()
 *     .rpc("orders.get", call -> orders.find(call.dataAs(OrderQuery.class).id()))
 *     .rpc("orders.place", call -> orders.placeAsync(call.dataAs(NewOrder.class))) // a CompletableFuture
 *     .build();
 * }</pre>
 *
 * <h2>The reply</h2>
 * What {@link #handle} returns is the result the client receives: any object Gson can serialise (a record,
 * a class, a {@code Map}, a {@code JsonElement}), or null. A {@link java.util.concurrent.CompletionStage}
 * means the result comes later: the reply is sent when it completes. Throw (or complete exceptionally
 * with) an {@link RpcException} to answer with an error code of the application's own; any other
 * exception is logged at WARN with the method's name and answered with the code {@code internal} and a
 * generic message: its text never reaches the client. A result that does not arrive within the server's
 * {@link PushServer.Builder#rpcTimeout rpcTimeout} is answered with {@code timeout} and dropped when it
 * comes; the server does not cancel it.
 *
 * <h2>Threading</h2>
 * Pushline calls {@code handle} on its callback threads, never on transport I/O threads, for a
 * connection only once it has authenticated, and one call at a time per connection in the order the
 * requests arrived (after {@link ConnectionListener#onOpen} for that connection). A handler that blocks
 * delays that connection's later calls and callbacks and holds one of the shared callback threads: return
 * a {@code CompletionStage} for slow work. The calls of one connection may complete in any order.
 */
@FunctionalInterface
public interface RpcHandler {

  /**
   * Answers {@code call}.
   *
   * @return the result, null, or a {@link java.util.concurrent.CompletionStage} of the result
   * @throws RpcException to answer with the application's own error code
   * @throws Exception answered with {@code internal}; logged at WARN
   */
  Object handle(RpcCall call) throws Exception;
}
