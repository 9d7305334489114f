package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pushline.testing.ClientPool;
import dev.pushline.testing.JdkClient;
import dev.pushline.testing.RawWebSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A client that stops reading, on real sockets, while a thousand others receive at full speed. */
class SlowConsumerIT {

  private static final long LIMIT = 256 * 1024;

  private PushServer server;
  private final ClientPool clients = new ClientPool();

  @AfterEach
  void close() {
    clients.close();
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aStalledReaderIsBoundedAndDisconnectedWhileAThousandOthersGetEverything() throws Exception {
    BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();
    BlockingQueue<Integer> closedCodes = new LinkedBlockingQueue<>();
    // 1,001 connections, all from 127.0.0.1: one more than the default maxConnectionsPerAddress
    server = PushServer.builder().host("127.0.0.1").port(0).maxQueuedBytes(LIMIT)
        .maxConnectionsPerAddress(2_000)
        .connectionListener(new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            opened.add(connection);
          }

          @Override
          public void onClosed(ClientConnection connection, int code, String reason) {
            closedCodes.add(code);
          }
        }).build().start();

    // The stalled client: a tiny receive buffer, subscribed to a channel of large publications, never reads.
    Socket raw = new Socket();
    raw.setReceiveBufferSize(4096);
    raw.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
    raw.setSoTimeout(10_000);
    String head = RawWebSocket.handshake(raw, "/pushline");
    assertTrue(head.startsWith("HTTP/1.1 101"), head);
    ClientConnection stalled = opened.poll(10, TimeUnit.SECONDS);
    assertNotNull(stalled);
    server.channel("big").subscribe(stalled); // server-side subscription: the client need not send a thing
    server.channel("feed").subscribe(stalled);

    URI uri = URI.create("ws://127.0.0.1:" + server.port() + "/pushline");
    List<JdkClient> fast = clients.connect(uri, 1_000);
    for (JdkClient c : fast) {
      c.subscribe("feed");
    }

    Channel big = server.channel("big");
    Channel feed = server.channel("feed");
    String chunk = "b".repeat(100 * 1024);
    long maxQueued = 0;
    int feedCount = 300;
    for (int i = 1; i <= feedCount; i++) {
      feed.publish("tick", i);
      if (i <= 100) {
        big.publish("blob", chunk); // 10 MB in all: more than the kernel's socket buffers hold
      }
      maxQueued = Math.max(maxQueued, stalled.queuedBytes());
    }
    assertTrue(maxQueued <= LIMIT, "queued " + maxQueued + " > " + LIMIT);
    assertEquals(1, server.stats().slowConsumerDisconnects());
    // Now the stalled client reads again: it gets its (bounded) backlog, then the SLOW_CONSUMER close.
    CompletableFuture<Integer> stalledClose = CompletableFuture.supplyAsync(() -> {
      try {
        RawWebSocket.Frame f;
        java.io.DataInputStream in = new java.io.DataInputStream(raw.getInputStream());
        do {
          f = RawWebSocket.readFrame(in);
        } while (f.opcode() != RawWebSocket.CLOSE);
        return f.closeCode();
      } catch (java.io.IOException e) {
        return -1;
      }
    }, clients.executor());

    for (JdkClient c : fast) {
      for (int i = 1; i <= feedCount; i++) {
        JsonObject p = c.nextJson();
        assertEquals(i, p.get("offset").getAsLong());
      }
    }
    assertEquals(CloseCodes.SLOW_CONSUMER, stalledClose.get(10, TimeUnit.SECONDS));
    assertEquals(CloseCodes.SLOW_CONSUMER, closedCodes.poll(10, TimeUnit.SECONDS));
    assertEquals(1_000, server.connectionCount());
    raw.close();
  }
}
