package dev.pushline.examples.logtail;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pushline.Channel;
import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.broker.BrokerException;
import dev.pushline.broker.redis.RedisBroker;
import dev.pushline.examples.logtail.DemoOptions.UsageException;
import dev.pushline.transport.websocket.WebSocketTransport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log tail demo on two nodes: two {@link PushServer}s that share channel {@value LogTailDemo#CHANNEL}
 * through a {@link RedisBroker}, and a page with one pane on each node. The log is published through
 * node A; both panes show the same lines with the same offsets. Stop node A on the page and its pane
 * moves to node B and resumes there ({@code recovered:true}) while the log goes on through node B; start
 * it again and the log goes back through it.
 *
 * <pre>
 * redis-server --save "" --appendonly no &amp;
 * mvn -q -DskipTests package &amp;&amp; java -cp examples/target/pushline-demo.jar dev.pushline.examples.logtail.ClusterDemo
 * </pre>
 *
 * <h2>Parts</h2>
 * <ul>
 *   <li>a {@link LineSource}, as in {@link LogTailDemo};</li>
 *   <li>nodes A and B: a {@link PushServer} each, on {@code --port} and the port after it, each with its
 *       own {@link RedisBroker} on {@code --redis} (key prefix {@value #KEY_PREFIX}) and behind an
 *       {@link OriginCheckingTransport};</li>
 *   <li>a {@link LinePump} that publishes each poll's lines through the first running node;</li>
 *   <li>a {@link PageServer} with {@code cluster.html}, {@code /config.json} (both nodes' ports),
 *       {@code GET /nodes} and {@code POST /nodes/<A|B>/<stop|start>}.</li>
 * </ul>
 *
 * <h2>Lifecycle</h2>
 * {@link #start} returns once both nodes and the page are up, or throws and leaves nothing running (if
 * Redis cannot be reached, with a {@link BrokerException} in the cause chain). {@link #stopNode} and
 * {@link #startNode} take a node down and up again on the same port; at least one node stays up, since the
 * log is published through one. {@link #close} stops the pump, the source, the nodes and the page.
 *
 * <p>Thread-safe.
 */
public final class ClusterDemo implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ClusterDemo.class);

  /** Where Redis is unless {@code --redis} or {@value #REDIS_ENV} says otherwise. */
  static final String DEFAULT_REDIS = "redis://127.0.0.1:6379";
  static final String REDIS_ENV = "PUSHLINE_REDIS_URI";
  /** What the demo's Redis keys start with, apart from any application's. */
  static final String KEY_PREFIX = "pushline-demo";

  private final Options options;
  private final LineSource source;
  private final List<Node> nodes;
  private final LinePump pump;
  private final ScheduledExecutorService scheduler;
  private final CountDownLatch closed = new CountDownLatch(1);
  /** Orders node stops and starts, and close. I/O (closing or starting a server) happens under it. */
  private final Object lock = new Object();
  private boolean closing; // guarded by lock
  private PageServer page; // set once in start, before the demo is shared
  private String lastPublishFailure; // only the pump thread

  private ClusterDemo(Options options, LineSource source, List<Node> nodes, ScheduledExecutorService scheduler) {
    this.options = options;
    this.source = source;
    this.nodes = nodes;
    this.scheduler = scheduler;
    this.pump = new LinePump(source, this::publishingChannel);
  }

  /** Runs the demo until Ctrl-C. Exit status 2 for bad arguments, 1 if it cannot start. */
  public static void main(String[] args) {
    int status = run(args, System.getenv(), System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * What {@code main} does, minus {@code System.exit}: parses {@code args} (with {@value #REDIS_ENV} from
   * {@code env}), prints help or a usage error, or starts the demo, prints its URLs and waits until it is
   * closed. When Redis cannot be reached it says how to start one.
   *
   * @return 0 after help or a clean stop, 1 if the demo could not start, 2 for bad arguments
   */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    Options options;
    try {
      options = Options.parse(args, env);
    } catch (UsageException e) {
      err.println("pushline-cluster-demo: " + e.getMessage());
      err.println();
      err.print(Options.usage());
      return 2;
    }
    if (options.demo().help()) {
      out.print(Options.usage());
      return 0;
    }
    ClusterDemo demo;
    try {
      demo = start(options, LogTailDemo.openSource(options.demo().file()));
    } catch (IOException | PushException e) {
      if (causedByBroker(e)) {
        err.println(redisHelp(options.redisUri(), e));
      } else {
        err.println("pushline-cluster-demo: cannot start: " + e.getMessage());
      }
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(demo::close, "cluster-demo-shutdown"));
    demo.printBanner(out);
    demo.awaitClosed();
    return 0;
  }

  /** What to print when Redis does not answer: the error, and how to start a Redis or name another. */
  static String redisHelp(String redisUri, Exception e) {
    return String.join(System.lineSeparator(),
        "pushline-cluster-demo: cannot reach Redis at " + redisUri + ": " + rootMessage(e),
        "",
        "The two nodes share the channel through Redis. Start one on this machine, without persistence:",
        "",
        "    redis-server --save \"\" --appendonly no",
        "",
        "(not installed? apt-get install redis-server, or brew install redis), or name yours with",
        "--redis redis://host:port or the environment variable " + REDIS_ENV + ".");
  }

  /**
   * Starts both nodes, the page and the pump on {@code source}, which it owns from now on: it is closed
   * with the demo, or right away if the demo cannot start.
   *
   * @throws PushException if a node cannot start: its port is taken, or Redis cannot be reached (then its
   *     cause is a {@link BrokerException})
   * @throws IOException if the page's port cannot be bound
   */
  static ClusterDemo start(Options options, LineSource source) throws IOException {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(source, "source");
    DemoOptions demo = options.demo();
    List<Node> nodes = List.of(new Node("A", demo.port(), options), new Node("B", options.portB(), options));
    ClusterDemo cluster = new ClusterDemo(options, source, nodes, LogTailDemo.newPumpScheduler());
    try {
      for (Node node : nodes) {
        node.start();
      }
      try {
        cluster.page = PageServer.start(demo.host(), demo.httpPort(), "cluster.html", List.of("cluster.js"),
            cluster.configJson(), cluster.endpoints());
      } catch (IOException e) {
        throw new IOException("cannot serve the page on " + demo.host() + ":" + demo.httpPort() + ": "
            + e.getMessage(), e);
      }
    } catch (IOException | RuntimeException e) {
      cluster.scheduler.shutdownNow();
      nodes.forEach(Node::stop);
      LogTailDemo.closeQuietly(source, e);
      throw e;
    }
    cluster.scheduler.scheduleWithFixedDelay(cluster::pumpScheduled, 0, LogTailDemo.POLL_INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
    log.info("pushing lines of {} to channel \"{}\" on two nodes sharing {}", source.description(),
        LogTailDemo.CHANNEL, options.redisUri());
    return cluster;
  }

  /**
   * Stops node {@code name} as a deploy would ({@link PushServer#close()}: its clients get 1001 and
   * reconnect, the page's pane to the other node). From then on the log is published through the other
   * node; no line is published through this one while it closes.
   *
   * @throws IllegalStateException if the node is stopped already, or is the only one running
   * @throws IllegalArgumentException if there is no node {@code name}
   */
  void stopNode(String name) {
    Node node = node(name);
    synchronized (lock) {
      requireOpen();
      if (!node.running()) {
        throw new IllegalStateException("node " + name + " is stopped already");
      }
      if (nodes.stream().filter(Node::running).count() == 1) {
        throw new IllegalStateException("node " + name + " is the only one running; the log is published "
            + "through it, so start the other one first");
      }
      node.stopping();
      // A barrier: once a poll returns, a poll that chose this node before it was marked has finished
      // publishing (LinePump's polls do not overlap); later polls choose the other node.
      try {
        pump.pumpOnce();
      } catch (RuntimeException e) {
        log.warn("publishing while node {} stops failed: {}", name, e.toString());
      }
      node.stop();
      log.info("node {} stopped; publishing through node {}", name, publishingNode().name);
    }
  }

  /**
   * Starts node {@code name} again on the port it had, with a new broker connection. The log is published
   * through node A whenever it runs.
   *
   * @throws IllegalStateException if the node is running
   * @throws PushException if it cannot start (its port was taken meanwhile, Redis is down)
   */
  void startNode(String name) {
    Node node = node(name);
    synchronized (lock) {
      requireOpen();
      if (node.running()) {
        throw new IllegalStateException("node " + name + " is running already");
      }
      node.start();
      log.info("node {} started on port {}", name, node.port);
    }
  }

  /** Node {@code name} ("A" or "B"). */
  Node node(String name) {
    for (Node node : nodes) {
      if (node.name.equals(name)) {
        return node;
      }
    }
    throw new IllegalArgumentException("there is no node " + name + "; the nodes are A and B");
  }

  /** {@code ws://host:port/pushline} of node {@code name}. */
  URI webSocketUri(String name) {
    return URI.create("ws://" + LogTailDemo.urlHost(options.demo().host()) + ":" + node(name).port + "/pushline");
  }

  /** {@code http://host:port/}: the page. */
  URI pageUri() {
    return URI.create("http://" + LogTailDemo.urlHost(options.demo().host()) + ":" + page.port() + "/");
  }

  /**
   * Polls the source and publishes what it returned through the first running node, now. The scheduler
   * does the same every {@link LogTailDemo#POLL_INTERVAL}; tests call this to avoid waiting for it.
   *
   * @return how many lines were published
   */
  int pumpNow() {
    return pump.pumpOnce();
  }

  /** Prints where to connect, each URL on a line of its own, then what is being pushed. */
  void printBanner(PrintStream out) {
    out.println("Node A:    " + webSocketUri("A"));
    out.println("Node B:    " + webSocketUri("B"));
    out.println("Redis:     " + options.redisUri() + " (keys " + KEY_PREFIX + ".*)");
    out.println("Page:      " + pageUri() + "  (left pane on node A, right pane on node B)");
    out.println("Client:    " + pageUri().resolve("/pushline.js") + "  (pushline.js, for your own pages)");
    if (LogTailDemo.isWildcard(options.demo().host())) {
      out.println("(listening on every interface: from other machines use this machine's name or address)");
    }
    out.println("Pushing:   " + source.description() + " to channel \"" + LogTailDemo.CHANNEL
        + "\" through node A.");
    out.println("On the page, stop node A: its pane moves to node B and resumes (recovered:true).");
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }

  /** Blocks until {@link #close()} has finished. */
  void awaitClosed() {
    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops polling, closes the source, both nodes (clients get 1001) and the page. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closing) {
        return;
      }
      closing = true;
    }
    try {
      LogTailDemo.stopPump(scheduler);
      LogTailDemo.closeQuietly(source, null);
      synchronized (lock) {
        nodes.forEach(Node::stop);
      }
      page.close();
      log.info("stopped");
    } finally {
      closed.countDown();
    }
  }

  private void requireOpen() {
    if (closing) {
      throw new IllegalStateException("the demo is stopping");
    }
  }

  /** The channel of the first running node: A while it runs, else B. */
  private Channel publishingChannel() {
    return publishingNode().channel();
  }

  private Node publishingNode() {
    for (Node node : nodes) {
      if (node.running()) {
        return node;
      }
    }
    throw new IllegalStateException("no node is running");
  }

  /**
   * One poll; a failure (Redis down: the broker's exception) is logged when it first happens and when it
   * changes, not every 100 ms, and the schedule goes on. Lines read in a failed poll are not published.
   */
  private void pumpScheduled() {
    try {
      int published = pump.pumpOnce();
      if (lastPublishFailure != null && published > 0) {
        log.info("publishing works again");
        lastPublishFailure = null;
      }
    } catch (RuntimeException e) {
      String failure = e.toString();
      if (!failure.equals(lastPublishFailure)) {
        log.error("publishing lines of {} failed; trying again at each poll: {}", source.description(), failure);
        lastPublishFailure = failure;
      }
    }
  }

  private String configJson() {
    JsonObject config = LogTailDemo.pageConfig(source);
    config.addProperty("webSocketPath", "/pushline");
    config.addProperty("showOffsets", true);
    JsonArray list = new JsonArray();
    for (Node node : nodes) {
      JsonObject n = new JsonObject();
      n.addProperty("name", node.name);
      n.addProperty("webSocketPort", node.port);
      list.add(n);
    }
    config.add("nodes", list);
    return config.toString();
  }

  /** {@code [{"name":"A","webSocketPort":8025,"running":true,"publishing":true}, ...]} */
  private String nodesJson() {
    JsonArray list = new JsonArray();
    Node publishing;
    try {
      publishing = publishingNode();
    } catch (IllegalStateException e) {
      publishing = null; // while the demo closes
    }
    for (Node node : nodes) {
      JsonObject n = new JsonObject();
      n.addProperty("name", node.name);
      n.addProperty("webSocketPort", node.port);
      n.addProperty("running", node.running());
      n.addProperty("publishing", node == publishing);
      list.add(n);
    }
    return list.toString();
  }

  private Map<String, PageServer.Endpoint> endpoints() {
    Map<String, PageServer.Endpoint> endpoints = new LinkedHashMap<>();
    endpoints.put("/nodes", new PageServer.Endpoint("GET", this::nodesJson));
    for (Node node : nodes) {
      endpoints.put("/nodes/" + node.name + "/stop", new PageServer.Endpoint("POST", () -> {
        stopNode(node.name);
        return nodesJson();
      }));
      endpoints.put("/nodes/" + node.name + "/start", new PageServer.Endpoint("POST", () -> {
        startNode(node.name);
        return nodesJson();
      }));
    }
    return endpoints;
  }

  private static boolean causedByBroker(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BrokerException) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.toString();
  }

  /**
   * One node: a {@link PushServer} with its own {@link RedisBroker}, started again on the same port after a
   * stop. Started and stopped under the demo's lock; {@link #running()} is read from any thread.
   */
  static final class Node {
    final String name;
    private final Options options;
    /** The port to bind: as given, then the one bound first, so that a restart keeps it. */
    private volatile int port;
    /** Null while stopped, or while stopping. */
    private volatile PushServer server;
    private PushServer closingServer; // guarded by ClusterDemo.lock

    Node(String name, int port, Options options) {
      this.name = name;
      this.port = port;
      this.options = options;
    }

    boolean running() {
      return server != null;
    }

    int port() {
      return port;
    }

    Channel channel() {
      PushServer s = server;
      if (s == null) {
        throw new IllegalStateException("node " + name + " is stopped");
      }
      return s.channel(LogTailDemo.CHANNEL);
    }

    void start() {
      DemoOptions demo = options.demo();
      PushServer s = PushServer.builder()
          .host(demo.host())
          .port(port)
          // As in LogTailDemo: the page is on another port, so the transport wrapper checks origins.
          .allowedOrigins("*")
          .transport(new OriginCheckingTransport(WebSocketTransport.create(), LogTailDemo.isLoopback(demo.host())))
          .broker(RedisBroker.builder().uri(options.redisUri()).keyPrefix(KEY_PREFIX).build())
          .build()
          .start();
      port = s.port();
      server = s;
    }

    /** Takes the node out of publishing; {@link #stop()} closes it. */
    void stopping() {
      closingServer = server;
      server = null;
    }

    void stop() {
      PushServer s = closingServer != null ? closingServer : server;
      server = null;
      closingServer = null;
      if (s != null) {
        s.close();
      }
    }

    @Override
    public String toString() {
      return "node " + name + " on port " + port;
    }
  }

  /**
   * The command line: {@link DemoOptions}' options and FILE, plus {@code --redis URI}. Node B listens on
   * the port after node A's ({@code --port}), or on any free port when that is 0.
   *
   * @param demo the options the one-node demo takes
   * @param redisUri where Redis is
   */
  record Options(DemoOptions demo, String redisUri) {

    Options {
      Objects.requireNonNull(demo, "demo");
      Objects.requireNonNull(redisUri, "redisUri");
    }

    /** Node B's port. */
    int portB() {
      return demo.port() == 0 ? 0 : demo.port() + 1;
    }

    static Options parse(String[] args, Map<String, String> env) throws UsageException {
      String redis = env.getOrDefault(REDIS_ENV, DEFAULT_REDIS);
      List<String> rest = new ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (arg.equals("--")) {
          rest.addAll(List.of(args).subList(i, args.length));
          break;
        }
        if (arg.equals("--redis")) {
          if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
            throw new UsageException("--redis needs a value");
          }
          redis = args[++i];
        } else if (arg.startsWith("--redis=")) {
          redis = arg.substring("--redis=".length());
        } else {
          rest.add(arg);
        }
      }
      try {
        RedisBroker.builder().uri(redis);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--redis: " + e.getMessage());
      }
      DemoOptions demo = DemoOptions.parse(rest.toArray(String[]::new));
      if (demo.port() == 65_535) {
        throw new UsageException("--port is 65535; node B takes the port after it, so it must be below 65535");
      }
      if (demo.port() != 0 && demo.port() + 1 == demo.httpPort()) {
        throw new UsageException("--http-port is " + demo.httpPort() + ", node B's port (--port + 1); "
            + "choose another");
      }
      return new Options(demo, redis);
    }

    /** What {@code --help} prints. */
    static String usage() {
      return String.join(System.lineSeparator(),
          "Usage: java -cp examples/target/pushline-demo.jar dev.pushline.examples.logtail.ClusterDemo",
          "           [options] [FILE]",
          "",
          "The log demo on two Pushline nodes that share channel \"logs\" through Redis: the log",
          "(FILE, or a generated sample log) is published through node A, and the page shows one",
          "pane on each node. Stop node A on the page: its pane moves to node B and resumes.",
          "",
          "Options:",
          "  --redis URI        Redis to share (default $" + REDIS_ENV + ", else " + DEFAULT_REDIS + ")",
          "  --host HOST        interface to bind the nodes and the page to (default " + DemoOptions.DEFAULT_HOST
              + ")",
          "  --port PORT        node A's WebSocket port; node B takes the next one (default "
              + DemoOptions.DEFAULT_PORT + "; 0 picks free ports)",
          "  --http-port PORT   port of the page (default " + DemoOptions.DEFAULT_HTTP_PORT + "; 0 picks a free port)",
          "  -h, --help         print this help and exit",
          "",
          "Redis for a try: redis-server --save \"\" --appendonly no",
          "");
    }
  }
}
