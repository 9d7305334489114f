package dev.pushline.broker.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import dev.pushline.broker.redis.ChannelRecorder.Received;
import dev.pushline.broker.redis.ChannelRecorder.Subscribed;
import dev.pushline.client.PushClient;
import dev.pushline.client.PushClient.Recovery;
import dev.pushline.testing.JdkClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three Pushline nodes in one JVM, each on a port of its own with its own {@link RedisBroker}, all on one
 * Redis: what a client sees of a deployment, end to end, through real WebSocket connections on loopback.
 *
 * <p>Every wait is bounded; every test closes what it started ({@link Cluster#close()} checks that the
 * nodes' threads and Lettuce's are gone).
 */
class ClusterIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String PATH = "/pushline";

  private static TestRedis redis;
  private static HttpClient http;

  private Cluster cluster;
  private final List<PushClient> clients = new ArrayList<>();
  private final List<JdkClient> rawClients = new ArrayList<>();
  private SwitchingProxy proxy;
  private ExecutorService pool;

  @BeforeAll
  static void startRedis() {
    redis = TestRedis.start();
    http = HttpClient.newHttpClient();
  }

  @AfterAll
  static void stopRedis() throws InterruptedException {
    if (redis != null) {
      redis.close();
    }
  }

  @AfterEach
  void closeEverything() throws Exception {
    if (pool != null) {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "test threads still running");
    }
    clients.forEach(PushClient::close);
    rawClients.forEach(JdkClient::close);
    if (proxy != null) {
      proxy.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  // --- 1. one order for everybody --------------------------------------------------------------

  /** What one publisher was told: its publication {@code data} got {@code offset}. */
  private record Sent(long offset, String event, String data) {}

  /**
   * Two host threads and one client connection per node publish 150 publications each, all at once: every
   * subscriber, on whichever node, receives all 1,350 with offsets 1..1350, and the publication at each offset
   * is the one its publisher was told got that offset.
   */
  @Test
  void publicationsFromEveryNodeReachEveryClientOnEveryNodeInOneOffsetOrder() throws Exception {
    cluster = Cluster.start(redis, 3, b -> b.allowClientPublish().inboundRateLimit(10_000, 10_000));
    String channel = "orders";
    List<ChannelRecorder> subscribers = new ArrayList<>();
    for (int node = 0; node < cluster.size(); node++) {
      for (int k = 0; k < 2; k++) {
        ChannelRecorder recorder = new ChannelRecorder("subscriber " + k + " on node " + node);
        PushClient client = client(cluster.uri(node), null);
        client.subscribe(channel, recorder);
        client.connect();
        subscribers.add(recorder);
      }
    }
    String epoch = null;
    for (ChannelRecorder subscriber : subscribers) {
      Subscribed subscribed = subscriber.next(Subscribed.class);
      assertEquals(Recovery.FRESH, subscribed.recovery(), subscriber.name);
      assertEquals(0, subscribed.position().offset(), subscriber.name);
      if (epoch == null) {
        epoch = subscribed.position().epoch();
      }
      assertEquals(epoch, subscribed.position().epoch(), subscriber.name + ": one stream on every node");
    }

    int perPublisher = 150;
    CountDownLatch go = new CountDownLatch(1);
    pool = Executors.newFixedThreadPool(3 * cluster.size());
    List<Future<List<Sent>>> publishers = new ArrayList<>();
    for (int node = 0; node < cluster.size(); node++) {
      for (int thread = 0; thread < 2; thread++) {
        Channel onNode = cluster.node(node).channel(channel);
        String tag = "n" + node + "/h" + thread + "/";
        publishers.add(pool.submit(() -> {
          go.await();
          List<Sent> sent = new ArrayList<>();
          for (int i = 0; i < perPublisher; i++) {
            sent.add(new Sent(onNode.publish("host", tag + i), "host", tag + i));
          }
          return sent;
        }));
      }
      PushClient publisher = client(cluster.uri(node), null);
      publisher.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      String tag = "n" + node + "/c/";
      publishers.add(pool.submit(() -> {
        go.await();
        List<CompletableFuture<Long>> replies = new ArrayList<>();
        for (int i = 0; i < perPublisher; i++) {
          replies.add(publisher.publish(channel, "client", tag + i)); // pipelined on one connection
        }
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < perPublisher; i++) {
          sent.add(new Sent(replies.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS), "client", tag + i));
        }
        return sent;
      }));
    }
    long start = System.nanoTime();
    go.countDown();

    Map<Long, Sent> byOffset = new TreeMap<>();
    for (Future<List<Sent>> publisher : publishers) {
      long previous = 0;
      for (Sent sent : publisher.get(30, TimeUnit.SECONDS)) {
        assertTrue(sent.offset() > previous, "one publisher's publications keep its order: " + sent
            + " after offset " + previous);
        previous = sent.offset();
        assertNull(byOffset.put(sent.offset(), sent), "offset " + sent.offset() + " given twice");
      }
    }
    int total = publishers.size() * perPublisher;
    assertEquals(LongStream.rangeClosed(1, total).boxed().toList(), List.copyOf(byOffset.keySet()));

    for (ChannelRecorder subscriber : subscribers) {
      for (long offset = 1; offset <= total; offset++) {
        Publication p = subscriber.next(Received.class).publication();
        assertEquals(offset, p.offset(), subscriber.name + ": offsets in order, each once");
        Sent sent = byOffset.get(offset);
        assertEquals(sent.event(), p.event(), subscriber.name + " at " + offset);
        assertEquals(sent.data(), p.data().getAsString(), subscriber.name + " at " + offset);
      }
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    // One more, after all: it must be the very next thing each subscriber hears (no duplicate, no resume).
    long marker = cluster.node(1).channel(channel).publish("marker", null);
    assertEquals(total + 1, marker);
    for (ChannelRecorder subscriber : subscribers) {
      assertEquals(marker, subscriber.next(Received.class).publication().offset(), subscriber.name);
    }
    System.out.printf("ClusterIT: %d publications from %d publishers on 3 nodes reached %d subscribers in %d ms%n",
        total, publishers.size(), subscribers.size(), millis);
  }

  // --- 2. resume on another node --------------------------------------------------------------

  /**
   * A client reaches node 0 through a proxy, as through a load balancer. Its connection is reset, and
   * while it is away (the proxy holds its reconnection) a publisher on node 2 goes on; then the proxy
   * sends it to node 1. It resumes there from its last offset: {@code RECOVERED}, the missed publications,
   * then live ones, each exactly once, in order, while the publisher never stops.
   */
  @Test
  void aClientDroppedFromOneNodeResumesOnAnotherWithoutLosingAPublication() throws Exception {
    cluster = Cluster.start(redis, 3,
        b -> b.channelOptions(ChannelOptions.DEFAULT.withHistory(100_000, Duration.ofMinutes(5))));
    String channel = "roaming";
    proxy = new SwitchingProxy(cluster.port(0));
    BlockingQueue<String> opened = new LinkedBlockingQueue<>();
    ChannelRecorder recorder = new ChannelRecorder("roaming client");
    PushClient client = client(proxy.uri(PATH), new PushClient.Listener() {
      @Override
      public void onOpen(PushClient c, String connectionId) {
        opened.add(connectionId);
      }
    });
    client.subscribe(channel, recorder);
    client.connect();
    String first = opened.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(first, "no welcome");
    assertTrue(cluster.node(0).connection(first).isPresent(), "first connected to node 0");
    Subscribed fresh = recorder.next(Subscribed.class);
    assertEquals(Recovery.FRESH, fresh.recovery());
    assertEquals(0, fresh.position().offset());

    Publisher publisher = startPublisher(cluster.node(2).channel(channel), 50_000);
    long next = 1;
    for (; next <= 100; next++) {
      assertEquals(next, recorder.next(Received.class).publication().offset());
    }
    proxy.hold();
    proxy.resetAll();
    long lastBeforeDrop = next - 1;
    Await.until("the publisher goes on while the client is away", WAIT,
        () -> publisher.last.get() >= lastBeforeDrop + 500);
    proxy.switchTo(cluster.port(1));
    proxy.release();
    String second = opened.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(second, "the client did not come back");
    assertTrue(cluster.node(1).connection(second).isPresent(), "reconnected to node 1");
    Await.until("node 0 forgets the dropped connection", WAIT, () -> cluster.node(0).connectionCount() == 0);

    Subscribed resumed = null;
    long replayed = 0;
    // Until a good number of live publications came after the resume, then until the publisher's last.
    while (resumed == null || next <= resumed.position().offset() + 200) {
      ChannelRecorder.Event event = recorder.next();
      if (event instanceof Subscribed s) {
        assertNull(resumed, "resumed once only: " + s);
        assertEquals(Recovery.RECOVERED, s.recovery());
        resumed = s;
        replayed = s.position().offset() - (next - 1);
      } else {
        assertEquals(next++, ((Received) event).publication().offset(), "in order, each once, no gap");
      }
    }
    long last = publisher.stop();
    while (next <= last) {
      assertEquals(next++, recorder.next(Received.class).publication().offset(), "in order, each once, no gap");
    }
    assertTrue(replayed > 0, "nothing was replayed: the client missed nothing while away");
    assertEquals(2, proxy.forwarded(), "one connection to node 0, one to node 1");
    System.out.printf("ClusterIT: roaming client resumed on another node, %d publications replayed, %d in all%n",
        replayed, last);
  }

  /**
   * The same at the protocol level: a raw client that received offsets 1..5 on node 0 subscribes on node 1
   * with {@code since} 5 while a publisher on node 2 is publishing: the reply says {@code recovered:true}
   * in the same epoch, then come 6, 7, ... exactly once each, the missed ones and the live ones.
   */
  @Test
  void resumeOnAnotherNodeReplaysExactlyTheMissedPublicationsThenLiveOnes() throws Exception {
    cluster = Cluster.start(redis, 3, b -> b);
    String channel = "resume-raw";
    Channel onThird = cluster.node(2).channel(channel);
    JdkClient first = raw(cluster.uri(0));
    JsonObject subscribed = first.subscribe(channel);
    String epoch = subscribed.get("epoch").getAsString();
    assertEquals(0, subscribed.get("offset").getAsLong());
    for (int i = 1; i <= 5; i++) {
      onThird.publish("e", i);
    }
    for (int i = 1; i <= 5; i++) {
      JsonObject p = json(first.next());
      assertEquals("publication", p.get("type").getAsString());
      assertEquals(i, p.get("offset").getAsLong());
    }
    first.close();
    for (int i = 6; i <= 10; i++) {
      onThird.publish("e", i);
    }

    Publisher publisher = startPublisher(onThird, 300);
    JdkClient second = raw(cluster.uri(1));
    second.send("{\"type\":\"subscribe\",\"id\":7,\"channel\":\"" + channel + "\",\"since\":{\"offset\":5,\"epoch\":\""
        + epoch + "\"}}");
    JsonObject reply = nextNotWelcome(second);
    assertEquals("subscribed", reply.get("type").getAsString(), reply.toString());
    assertEquals(7, reply.get("id").getAsLong());
    assertEquals(epoch, reply.get("epoch").getAsString());
    assertTrue(reply.get("recovered").getAsBoolean(), reply.toString());
    assertTrue(reply.get("offset").getAsLong() >= 10, reply.toString());
    long last = publisher.join();
    assertEquals(310, last);
    long marker = onThird.publish("marker", null);
    for (long offset = 6; offset <= marker; offset++) {
      JsonObject p = json(second.next());
      assertEquals("publication", p.get("type").getAsString(), p.toString());
      assertEquals(offset, p.get("offset").getAsLong(), "the missed ones, then live ones, each once: " + p);
    }
  }

  // --- 3. presence -----------------------------------------------------------------------------

  /**
   * Presence with a 2 s ttl. On each node a raw client that asked for join and leave events and two Java
   * clients: {@code channel.presence()} on every node lists the same nine clients; each join reaches every
   * watcher that was subscribed before it exactly once, and so does the leave of a client that
   * unsubscribes.
   *
   * <p>Then node 2 crashes. The crash is simulated honestly: its broker is a {@link CrashableBroker},
   * which from the moment of the crash passes nothing more to Redis (no presence refresh, no removal, no
   * leave event, as a dead process would send nothing), and then the node is closed, which drops its
   * clients. Its three clients must drop out of presence on the other nodes within the ttl (plus slack for
   * polling), and never before the ttl has passed since the last presence write node 2 made for them;
   * the other nodes' clients stay listed throughout (their nodes keep refreshing them).
   */
  @Test
  void presenceIsTheSameOnEveryNodeAndForgetsTheClientsOfACrashedNode() throws Exception {
    Duration ttl = Duration.ofSeconds(2);
    cluster = Cluster.start(redis, 3,
        b -> b.presenceTtl(ttl).channelOptions(ChannelOptions.DEFAULT.withPresence(true)),
        CrashableBroker::new);
    String channel = "room";

    // Watchers one after the other, each once its own join came back: a join reaches exactly the watchers
    // subscribed before it, itself included.
    List<JdkClient> watchers = new ArrayList<>();
    List<String> watcherIds = new ArrayList<>();
    Map<Integer, List<String>> idsByNode = new HashMap<>();
    for (int node = 0; node < cluster.size(); node++) {
      JdkClient watcher = raw(cluster.uri(node));
      JsonObject welcome = json(watcher.next());
      assertEquals("welcome", welcome.get("type").getAsString());
      String id = welcome.get("client").getAsString();
      watcher.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + channel + "\",\"joinLeave\":true}");
      assertEquals("subscribed", json(watcher.next()).get("type").getAsString());
      JsonObject ownJoin = json(watcher.next());
      assertEquals("join", ownJoin.get("type").getAsString(), ownJoin.toString());
      assertEquals(id, ownJoin.getAsJsonObject("client").get("client").getAsString());
      watchers.add(watcher);
      watcherIds.add(id);
      idsByNode.computeIfAbsent(node, k -> new ArrayList<>()).add(id);
    }
    List<PushClient> members = new ArrayList<>();
    List<String> memberIds = new ArrayList<>();
    for (int node = 0; node < cluster.size(); node++) {
      for (int k = 0; k < 2; k++) {
        CompletableFuture<String> id = new CompletableFuture<>();
        PushClient member = client(cluster.uri(node), new PushClient.Listener() {
          @Override
          public void onOpen(PushClient c, String connectionId) {
            id.complete(connectionId);
          }
        });
        ChannelRecorder recorder = new ChannelRecorder("member " + k + " on node " + node);
        member.subscribe(channel, recorder);
        member.connect();
        assertEquals(Recovery.FRESH, recorder.next(Subscribed.class).recovery());
        members.add(member);
        memberIds.add(id.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        idsByNode.get(node).add(memberIds.get(memberIds.size() - 1));
      }
    }
    Set<String> everybody = new HashSet<>(watcherIds);
    everybody.addAll(memberIds);
    assertEquals(9, everybody.size());
    awaitPresence(everybody, 0, 1, 2);
    for (int node = 0; node < cluster.size(); node++) {
      for (ClientInfo info : cluster.node(node).channel(channel).presence()) {
        assertEquals(new ClientInfo(info.clientId(), "", null), info, "anonymous clients carry no info");
      }
    }

    Channel onFirst = cluster.node(0).channel(channel);
    onFirst.publish("marker", 1);
    for (int w = 0; w < watchers.size(); w++) {
      List<String> joined = new ArrayList<>(watcherIds.subList(w + 1, watcherIds.size()));
      joined.addAll(memberIds);
      assertEquals(sorted(joined), sorted(eventsUntilMarker(watchers.get(w), "join")),
          "watcher on node " + w + ": one join per client, no duplicate, no leave");
    }

    watchers.get(0).send("{\"type\":\"presence\",\"id\":2,\"channel\":\"" + channel + "\"}");
    JsonObject presence = json(watchers.get(0).next());
    assertEquals("presence", presence.get("type").getAsString(), presence.toString());
    Set<String> listed = new HashSet<>();
    presence.getAsJsonArray("clients").forEach(c -> listed.add(c.getAsJsonObject().get("client").getAsString()));
    assertEquals(everybody, listed, "the presence request lists every node's clients");

    // A member on node 1 leaves: every watcher hears it once, every node forgets it.
    String leaver = memberIds.get(2);
    members.get(2).unsubscribe(channel).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    everybody.remove(leaver);
    idsByNode.get(1).remove(leaver);
    awaitPresence(everybody, 0, 1, 2);
    onFirst.publish("marker", 2);
    for (int w = 0; w < watchers.size(); w++) {
      assertEquals(List.of(leaver), eventsUntilMarker(watchers.get(w), "leave"),
          "watcher on node " + w + ": one leave, nothing else");
    }

    // Node 2 crashes.
    CrashableBroker crashing = (CrashableBroker) cluster.broker(2);
    crashing.crash();
    long crashedAt = System.currentTimeMillis();
    cluster.node(2).close();
    Map<String, Long> expiresNoSoonerThan = new HashMap<>();
    for (String id : idsByNode.get(2)) {
      Long written = crashing.lastPresenceWrite(id);
      assertNotNull(written, "node 2 never wrote presence for " + id);
      expiresNoSoonerThan.put(id, written + ttl.toMillis());
    }
    Set<String> survivors = new HashSet<>(everybody);
    survivors.removeAll(idsByNode.get(2));
    Duration slack = Duration.ofMillis(1_500);
    long deadline = crashedAt + ttl.toMillis() + slack.toMillis();
    Set<String> gone = new HashSet<>();
    while (gone.size() < 2 * idsByNode.get(2).size()) {
      for (int node = 0; node <= 1; node++) {
        Set<String> now = presenceIds(node, channel);
        long answeredBy = System.currentTimeMillis();
        assertTrue(now.containsAll(survivors), "node " + node + " lost a live node's client: " + now);
        for (String id : idsByNode.get(2)) {
          String key = node + "/" + id;
          if (now.contains(id)) {
            assertFalse(gone.contains(key), id + " came back on node " + node);
          } else if (gone.add(key)) {
            assertTrue(answeredBy >= expiresNoSoonerThan.get(id), id + " dropped out of presence on node " + node
                + " " + (expiresNoSoonerThan.get(id) - answeredBy) + " ms before the ttl after its last refresh");
          }
        }
      }
      if (System.currentTimeMillis() > deadline) {
        fail("still listed " + (System.currentTimeMillis() - crashedAt) + " ms after the crash (ttl " + ttl
            + "): " + idsByNode.get(2) + " minus " + gone);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // poll interval
    }
    long forgottenAfter = System.currentTimeMillis() - crashedAt;
    assertEquals(survivors, presenceIds(0, channel));
    assertEquals(survivors, presenceIds(1, channel));
    System.out.printf("ClusterIT: a crashed node's clients left presence %d ms after the crash (ttl %d ms)%n",
        forgottenAfter, ttl.toMillis());
  }

  // --- 4. Redis restarts ----------------------------------------------------------------------

  /**
   * What the test above runs into now and then, made deterministic: a node's pub/sub connection to Redis
   * is back (so the node tells its clients to resume, close code 3000) while its command connection is
   * still down, so the resuming client's {@code subscribe} meets a broker that cannot read history and
   * is answered {@code unavailable}, which protocol.md defines as "the subscription was not made, try
   * again". The client must try again and resume: it keeps its subscription and, once the broker
   * answers, gets every publication, recovered. It must not drop the subscription for good.
   */
  @Test
  void aResumeAnsweredUnavailableIsTriedAgainNotDropped() throws Exception {
    cluster = Cluster.start(redis, 2, b -> b, CrashableBroker::new);
    String channel = "flaky";
    CompletableFuture<String> id = new CompletableFuture<>();
    ChannelRecorder recorder = new ChannelRecorder("resuming client");
    PushClient client = client(cluster.uri(0), new PushClient.Listener() {
      @Override
      public void onOpen(PushClient c, String connectionId) {
        id.complete(connectionId);
      }
    });
    client.subscribe(channel, recorder);
    client.connect();
    assertEquals(Recovery.FRESH, recorder.next(Subscribed.class).recovery());
    Channel onSecond = cluster.node(1).channel(channel);
    onSecond.publish("e", 1);
    assertEquals(1, recorder.next(Received.class).publication().offset());

    ((CrashableBroker) cluster.broker(0)).failHistoryReads(1);
    cluster.node(0).connection(id.get(WAIT.toSeconds(), TimeUnit.SECONDS)).orElseThrow()
        .close(dev.pushline.CloseCodes.RECONNECT, "delivery interrupted");
    onSecond.publish("e", 2);
    ChannelRecorder.Event event = recorder.next();
    assertTrue(event instanceof Subscribed s && s.recovery() == Recovery.RECOVERED,
        "expected a recovered resume, but the client heard " + event
            + (event instanceof ChannelRecorder.Unsubscribed ? ": it dropped the subscription after one unavailable" : ""));
    assertEquals(2, recorder.next(Received.class).publication().offset());
  }

  /** How long Redis stays down at least. */
  private static final Duration OUTAGE = Duration.ofMillis(1_500);

  /** One publish attempt: when it started and ended (nanoTime), and its offset or its failure. */
  private record Attempt(String publisher, String data, long started, long ended, Long offset, Throwable failure) {}

  /**
   * Redis is killed (SIGKILL, no persistence) and restarted while a host publisher on every node and a
   * client publisher on node 0 keep publishing and two clients per node are subscribed.
   *
   * <ul>
   *   <li>Every publish during the outage fails loudly (a {@code BrokerException} on the host, an
   *       {@code unavailable} error or a lost connection for the client), and no publish is reported
   *       successful while Redis is down.
   *   <li>Every client ends either with every publication reported successful, in order, or was told
   *       {@code NOT_RECOVERED}, and then only when the epoch changed (Redis lost the stream): each
   *       successful publication a client did not receive lies in a stretch such a notice covers.
   *   <li>No client ever saw a silent gap: within one epoch its offsets go up by one, across every resume.
   * </ul>
   */
  @Test
  void redisRestartMidStreamLeavesEveryClientFullyRecoveredOrToldItIsNot() throws Exception {
    try (TestRedis own = TestRedis.start()) {
      own.assumeRestartable();
      cluster = Cluster.start(own, 3, b -> b.allowClientPublish().inboundRateLimit(100_000, 100_000)
          .channelOptions(ChannelOptions.DEFAULT.withHistory(100_000, Duration.ofMinutes(5))));
      String channel = "stream";
      List<ChannelRecorder> subscribers = new ArrayList<>();
      for (int node = 0; node < cluster.size(); node++) {
        for (int k = 0; k < 2; k++) {
          ChannelRecorder recorder = new ChannelRecorder("subscriber " + k + " on node " + node);
          PushClient client = client(cluster.uri(node), null);
          client.subscribe(channel, recorder);
          client.connect();
          subscribers.add(recorder);
        }
      }
      String firstEpoch = null;
      for (ChannelRecorder subscriber : subscribers) {
        Subscribed subscribed = subscriber.next(Subscribed.class);
        assertEquals(Recovery.FRESH, subscribed.recovery());
        firstEpoch = subscribed.position().epoch();
      }

      pool = Executors.newCachedThreadPool();
      AtomicBoolean stop = new AtomicBoolean();
      List<Attempt> attempts = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Future<?>> publishers = new ArrayList<>();
      for (int node = 0; node < cluster.size(); node++) {
        Channel onNode = cluster.node(node).channel(channel);
        String name = "host on node " + node;
        publishers.add(pool.submit(() -> {
          for (int i = 0; !stop.get() && !Thread.currentThread().isInterrupted(); i++) {
            String data = name + "/" + i;
            long started = System.nanoTime();
            try {
              long offset = onNode.publish("host", data);
              attempts.add(new Attempt(name, data, started, System.nanoTime(), offset, null));
            } catch (RuntimeException e) {
              attempts.add(new Attempt(name, data, started, System.nanoTime(), null, e));
            }
            pace();
          }
          return null;
        }));
      }
      // Its own request timeout longer than the wait below: a publish the server never answers is caught
      // here, with a thread dump of the moment.
      PushClient clientPublisher = PushClient.builder().uri(cluster.uri(0)).requestTimeout(Duration.ofSeconds(30))
          .build();
      clients.add(clientPublisher);
      clientPublisher.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      publishers.add(pool.submit(() -> {
        String name = "client on node 0";
        for (int i = 0; !stop.get() && !Thread.currentThread().isInterrupted(); i++) {
          String data = name + "/" + i;
          long started = System.nanoTime();
          try {
            long offset = clientPublisher.publish(channel, "client", data).get(15, TimeUnit.SECONDS);
            attempts.add(new Attempt(name, data, started, System.nanoTime(), offset, null));
          } catch (java.util.concurrent.ExecutionException e) {
            attempts.add(new Attempt(name, data, started, System.nanoTime(), null, e.getCause()));
          } catch (java.util.concurrent.TimeoutException e) {
            // The client's own request timeout (10 s) should have failed the future by now.
            attempts.add(new Attempt(name, data, started, System.nanoTime(), null, e));
            System.out.println("ClusterIT: publish " + data + " unanswered for 15 s; threads:\n" + threadDump());
            return null;
          }
          pace();
        }
        return null;
      }));

      for (ChannelRecorder subscriber : subscribers) {
        while (!(subscriber.next() instanceof Received r && r.publication().offset() >= 50)) {
          // taking what came before: it is judged with the rest at the end
        }
      }
      long killing = System.nanoTime();
      own.kill();
      long killed = System.nanoTime();
      // Down for a while, not just a blink: Lettuce's reconnect attempts back off, and each of the six
      // connections comes back on its own schedule.
      Await.until("every publisher fails while Redis is down, for " + OUTAGE, WAIT, () -> {
        if (System.nanoTime() - killed < OUTAGE.toNanos()) {
          return false;
        }
        Map<String, Integer> failures = new HashMap<>();
        synchronized (attempts) {
          for (Attempt a : attempts) {
            if (a.failure() != null && a.started() > killed) {
              failures.merge(a.publisher(), 1, Integer::sum);
            }
          }
        }
        return failures.size() == 4 && failures.values().stream().allMatch(n -> n >= 3);
      });
      long restarting = System.nanoTime();
      own.restart();
      Await.until("every publisher succeeds again after the restart", Duration.ofSeconds(20), () -> {
        Map<String, Integer> successes = new HashMap<>();
        synchronized (attempts) {
          for (Attempt a : attempts) {
            if (a.offset() != null && a.started() > restarting) {
              successes.merge(a.publisher(), 1, Integer::sum);
            }
          }
        }
        return successes.size() == 4 && successes.values().stream().allMatch(n -> n >= 100);
      }, () -> summary(attempts, restarting));
      stop.set(true);
      for (Future<?> publisher : publishers) {
        publisher.get(30, TimeUnit.SECONDS);
      }
      Channel onFirst = cluster.node(0).channel(channel);
      long finalOffset = onFirst.offset();
      String finalEpoch = onFirst.epoch();
      assertFalse(finalEpoch.equals(firstEpoch), "Redis restarted empty: the stream must have a new epoch");

      // What the publishers were told.
      Map<Long, String> before = new HashMap<>(); // offset -> data, in the first epoch
      Map<Long, String> after = new HashMap<>(); // offset -> data, in the final epoch
      Map<String, Integer> failureKinds = new TreeMap<>();
      for (Attempt a : attempts) {
        if (a.offset() != null) {
          // Sent before Redis died, it may have been applied (its answer can be read a little later); sent
          // while Redis was down, it cannot have been.
          assertTrue(a.started() < killed ? a.ended() < restarting : a.started() > restarting,
              "reported successful though sent while Redis was down: " + a);
          Map<Long, String> epoch = a.started() < killed ? before : after;
          assertNull(epoch.put(a.offset(), a.data()), "offset " + a.offset() + " given twice");
        } else {
          String kind;
          if (a.failure() instanceof dev.pushline.broker.BrokerException) {
            kind = "BrokerException";
          } else if (a.failure() instanceof dev.pushline.PushException p && p.code() != null) {
            kind = "error " + p.code();
          } else if (a.failure() instanceof dev.pushline.PushException
              && !(a.failure().getCause() instanceof java.util.concurrent.TimeoutException)) {
            kind = "client-side: connection lost";
          } else {
            // Not even a timeout: the server answers within twice the broker's command timeout.
            throw new AssertionError("a publish failed with no answer from the server: " + a, a.failure());
          }
          if (a.publisher().startsWith("client")) {
            assertFalse(kind.equals("BrokerException"), a.toString());
            assertTrue(!kind.startsWith("error") || kind.equals("error unavailable"), "failed with " + kind);
          } else {
            assertEquals("BrokerException", kind, a.toString());
          }
          failureKinds.merge(a.publisher().substring(0, 4) + ": " + kind, 1, Integer::sum);
        }
      }

      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      Map<Recovery, Integer> outcomes = new java.util.EnumMap<>(Recovery.class);
      for (ChannelRecorder subscriber : subscribers) {
        Stream stream = new Stream(subscriber.name);
        subscriber.seen().forEach(stream::accept);
        while (!stream.reached(finalEpoch, finalOffset)) {
          ChannelRecorder.Event e = subscriber.poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
          if (e == null) {
            fail(subscriber.name + " stopped at " + stream.epoch + "/" + stream.last + ", not at " + finalEpoch
                + "/" + finalOffset + "; " + stream.problems);
          }
          stream.accept(e);
        }
        assertEquals(List.of(), stream.problems, subscriber.name);
        for (Map.Entry<Long, String> p : before.entrySet()) {
          stream.assertReceivedOrExcused(firstEpoch, p.getKey(), p.getValue());
        }
        for (Map.Entry<Long, String> p : after.entrySet()) {
          stream.assertReceivedOrExcused(finalEpoch, p.getKey(), p.getValue());
        }
        outcomes.merge(stream.notRecovered.isEmpty() ? Recovery.RECOVERED : Recovery.NOT_RECOVERED, 1, Integer::sum);
      }
      System.out.printf("ClusterIT: Redis down for %d ms; %d successful publications before, %d after (final "
              + "offset %d); failures %s; clients: %s%n",
          TimeUnit.NANOSECONDS.toMillis(restarting - killing), before.size(), after.size(), finalOffset,
          failureKinds, outcomes);
      cluster.close(); // before this Redis goes away for good, so that the brokers do not start reconnecting
    }
  }

  /** Per publisher: successes and failures since {@code since}, and the last failure. */
  private static String summary(List<Attempt> attempts, long since) {
    Map<String, String> out = new TreeMap<>();
    synchronized (attempts) {
      Map<String, int[]> counts = new TreeMap<>();
      Map<String, Throwable> lastFailure = new HashMap<>();
      for (Attempt a : attempts) {
        if (a.started() > since) {
          counts.computeIfAbsent(a.publisher(), k -> new int[2])[a.offset() != null ? 0 : 1]++;
          if (a.failure() != null) {
            lastFailure.put(a.publisher(), a.failure());
          }
        }
      }
      counts.forEach((k, v) -> out.put(k, v[0] + " ok, " + v[1] + " failed, last failure " + lastFailure.get(k)));
    }
    return out.toString();
  }

  private static String threadDump() {
    StringBuilder out = new StringBuilder();
    Thread.getAllStackTraces().forEach((thread, stack) -> {
      out.append(thread.getName()).append(' ').append(thread.getState()).append('\n');
      for (StackTraceElement frame : stack) {
        out.append("    at ").append(frame).append('\n');
      }
    });
    return out.toString();
  }

  /** Half a millisecond between publishes of one publisher: enough load, without flooding the box. */
  private static void pace() {
    java.util.concurrent.locks.LockSupport.parkNanos(500_000);
  }

  /**
   * One subscription's run as its handler saw it, judged event by event: within an epoch offsets go up by
   * one ({@code RECOVERED} continues the same epoch from the last offset, the others start after the
   * offset they announce), and {@code NOT_RECOVERED} comes only with a new epoch. Confined to the test thread.
   */
  private static final class Stream {
    final String name;
    final List<String> problems = new ArrayList<>();
    final Map<String, Map<Long, String>> received = new HashMap<>(); // epoch -> offset -> data
    /** Each NOT_RECOVERED: {epoch left, last offset there, epoch entered, offset resumed after}. */
    final List<Object[]> notRecovered = new ArrayList<>();
    String epoch;
    long last;

    Stream(String name) {
      this.name = name;
    }

    void accept(ChannelRecorder.Event event) {
      if (event instanceof Subscribed s) {
        String e = s.position().epoch();
        switch (s.recovery()) {
          case FRESH -> {
            if (epoch != null) {
              problems.add("FRESH again after " + epoch + "/" + last);
            }
            epoch = e;
            last = s.position().offset();
          }
          case RECOVERED -> {
            if (!e.equals(epoch)) {
              problems.add("RECOVERED into another epoch: " + epoch + " -> " + e);
            }
          }
          case NOT_RECOVERED -> {
            if (e.equals(epoch)) {
              problems.add("NOT_RECOVERED within epoch " + e + " at " + last + ", though history covers it");
            }
            notRecovered.add(new Object[] {epoch, last, e, s.position().offset()});
            epoch = e;
            last = s.position().offset();
          }
        }
      } else if (event instanceof Received r) {
        long offset = r.publication().offset();
        if (offset != last + 1) {
          problems.add("silent " + (offset > last ? "gap" : "repeat") + " in epoch " + epoch + ": " + last
              + " then " + offset);
        }
        last = offset;
        received.computeIfAbsent(epoch, k -> new HashMap<>()).put(offset, r.publication().data().getAsString());
      } else {
        problems.add("the subscription was dropped (" + event + ") at " + epoch + "/" + last);
      }
    }

    boolean reached(String finalEpoch, long finalOffset) {
      return finalEpoch.equals(epoch) && last >= finalOffset;
    }

    /** {@code epoch/offset}, published as {@code data}, was received, or a NOT_RECOVERED owned up to it. */
    void assertReceivedOrExcused(String e, long offset, String data) {
      String got = received.getOrDefault(e, Map.of()).get(offset);
      if (got != null) {
        assertEquals(data, got, name + " at " + e + "/" + offset);
        return;
      }
      for (Object[] n : notRecovered) {
        if ((e.equals(n[0]) && offset > (long) n[1]) || (e.equals(n[2]) && offset <= (long) n[3])) {
          return;
        }
      }
      fail(name + " lost " + e + "/" + offset + " (" + data + ") without being told");
    }
  }

  // --- 5. churn --------------------------------------------------------------------------------

  /**
   * Six clients, two per node, subscribe to and unsubscribe from twenty channels at random, without waiting
   * for replies. Then every client still subscribed somewhere receives the next publication of exactly
   * the channels it is subscribed to (every node that needs a channel is still subscribed to it in Redis),
   * and once everybody unsubscribed, no node holds a channel and Redis has no pub/sub subscription of the
   * cluster left.
   */
  @Test
  void subscribeAndUnsubscribeChurnOnEveryNodeLeavesNoRedisSubscriptionBehind() throws Exception {
    cluster = Cluster.start(redis, 3, b -> b.inboundRateLimit(10_000, 10_000));
    int channelCount = 20;
    long seed = Long.getLong("churn.seed", System.nanoTime());
    Random random = new Random(seed);
    record Churner(PushClient client, BlockingQueue<Publication> received, Map<String, CompletableFuture<?>> subscribed,
        List<CompletableFuture<?>> replies) {}
    List<Churner> churners = new ArrayList<>();
    for (int node = 0; node < cluster.size(); node++) {
      for (int k = 0; k < 2; k++) {
        PushClient client = client(cluster.uri(node), null);
        client.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        churners.add(new Churner(client, new LinkedBlockingQueue<>(), new HashMap<>(), new ArrayList<>()));
      }
    }
    for (int round = 0; round < 200; round++) {
      for (Churner c : churners) {
        String channel = "churn-" + random.nextInt(channelCount);
        if (c.subscribed().remove(channel) != null) {
          c.replies().add(c.client().unsubscribe(channel));
        } else {
          CompletableFuture<?> subscribe = c.client().subscribe(channel, c.received()::add);
          c.subscribed().put(channel, subscribe);
          // A subscribe fails when a later unsubscribe overtook it; only the last one of each channel counts.
          c.replies().add(subscribe.exceptionally(e -> null));
        }
      }
    }
    for (Churner c : churners) {
      CompletableFuture.allOf(c.replies().toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      for (Map.Entry<String, CompletableFuture<?>> s : c.subscribed().entrySet()) {
        assertFalse(s.getValue().isCompletedExceptionally(), "the last subscribe to " + s.getKey() + " failed");
      }
    }
    Channel[] channels = new Channel[channelCount];
    for (int i = 0; i < channelCount; i++) {
      channels[i] = cluster.node(i % cluster.size()).channel("churn-" + i);
      channels[i].publish("after-churn", i);
    }
    for (Churner c : churners) {
      Set<String> got = new HashSet<>();
      for (int i = 0; i < c.subscribed().size(); i++) {
        Publication p = c.received().poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(p, "a publication of " + c.subscribed().keySet() + " never came (seed " + seed + ")");
        assertTrue(got.add(p.channel()), "twice: " + p);
      }
      assertEquals(c.subscribed().keySet(), got, "seed " + seed);
    }
    for (Churner c : churners) {
      List<CompletableFuture<Void>> left = new ArrayList<>();
      for (String channel : c.subscribed().keySet()) {
        left.add(c.client().unsubscribe(channel));
      }
      CompletableFuture.allOf(left.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    Await.until("every node forgets every channel", WAIT, () -> {
      for (int node = 0; node < cluster.size(); node++) {
        if (cluster.node(node).stats().channels() != 0) {
          return false;
        }
      }
      return true;
    });
    String pattern = cluster.keyPrefix() + ".ch.*";
    Await.until("Redis forgets every pub/sub subscription of the cluster", WAIT,
        () -> pubSubChannels(pattern).isEmpty());
    for (Churner c : churners) {
      assertNull(c.received().poll(), "nothing more after unsubscribing");
    }
  }

  // --- helpers ---------------------------------------------------------------------------------

  /** A publisher thread on one node: publishes "tick" with 1, 2, ... until stopped or {@code max}. */
  private final class Publisher {
    final AtomicLong last = new AtomicLong();
    final AtomicBoolean stopped = new AtomicBoolean();
    final Future<?> run;

    Publisher(Channel channel, int max) {
      run = pool.submit(() -> {
        for (int i = 1; i <= max && !stopped.get(); i++) {
          last.set(channel.publish("tick", i));
        }
        return null;
      });
    }

    /** Stops it; returns the offset of its last publication. */
    long stop() throws Exception {
      stopped.set(true);
      return join();
    }

    long join() throws Exception {
      run.get(30, TimeUnit.SECONDS);
      return last.get();
    }
  }

  private Publisher startPublisher(Channel channel, int max) {
    if (pool == null) {
      pool = Executors.newCachedThreadPool();
    }
    return new Publisher(channel, max);
  }

  private PushClient client(URI uri, PushClient.Listener listener) {
    PushClient.Builder builder = PushClient.builder()
        .uri(uri)
        .reconnectDelay(Duration.ofMillis(20), Duration.ofMillis(200));
    if (listener != null) {
      builder.listener(listener);
    }
    PushClient client = builder.build();
    clients.add(client);
    return client;
  }

  private JdkClient raw(URI uri) {
    JdkClient client = JdkClient.connect(http, uri);
    rawClients.add(client);
    return client;
  }

  private static JsonObject json(String text) {
    return JsonParser.parseString(text).getAsJsonObject();
  }

  private static JsonObject nextNotWelcome(JdkClient client) throws InterruptedException {
    JsonObject m = json(client.next());
    return "welcome".equals(m.get("type").getAsString()) ? json(client.next()) : m;
  }

  /**
   * The client ids of the join or leave events ({@code kind}) before the next publication with event
   * "marker"; fails on an event of the other kind or another publication.
   */
  private static List<String> eventsUntilMarker(JdkClient watcher, String kind) throws InterruptedException {
    List<String> ids = new ArrayList<>();
    while (true) {
      JsonObject m = json(watcher.next());
      String type = m.get("type").getAsString();
      if (type.equals("publication") && m.get("event").getAsString().equals("marker")) {
        return ids;
      }
      assertEquals(kind, type, "unexpected " + m);
      ids.add(m.getAsJsonObject("client").get("client").getAsString());
    }
  }

  private static List<String> sorted(List<String> ids) {
    return ids.stream().sorted().toList();
  }

  private Set<String> presenceIds(int node, String channel) {
    return cluster.node(node).channel(channel).presence().stream().map(ClientInfo::clientId)
        .collect(Collectors.toSet());
  }

  private void awaitPresence(Set<String> expected, int... nodes) throws Exception {
    for (int node : nodes) {
      Await.until("node " + node + " lists " + expected, WAIT, () -> presenceIds(node, "room").equals(expected));
    }
  }

  /** {@code PUBSUB CHANNELS pattern}, over a plain socket: the pub/sub channels with subscribers now. */
  private static List<String> pubSubChannels(String pattern) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", redis.port()), 1_000);
      socket.setSoTimeout(2_000);
      OutputStream out = socket.getOutputStream();
      out.write(("*3\r\n$6\r\nPUBSUB\r\n$8\r\nCHANNELS\r\n$" + pattern.length() + "\r\n" + pattern + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String header = line(in);
      assertTrue(header.startsWith("*"), "PUBSUB CHANNELS answered " + header);
      int count = Integer.parseInt(header.substring(1));
      List<String> names = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        line(in); // $<length>
        names.add(line(in));
      }
      return names;
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder s = new StringBuilder();
    for (int b; (b = in.read()) != '\n'; ) {
      if (b < 0) {
        throw new IOException("Redis closed the connection");
      }
      if (b != '\r') {
        s.append((char) b);
      }
    }
    return s.toString();
  }
}
