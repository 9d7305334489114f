package dev.pushline.examples.dashboard;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
import dev.pushline.ChannelOptions.SlowConsumerPolicy;
import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.examples.logtail.Closer;
import dev.pushline.examples.logtail.DemoMain;
import dev.pushline.examples.logtail.DemoOptions;
import dev.pushline.examples.logtail.LogTailDemo;
import dev.pushline.examples.logtail.OriginCheckingTransport;
import dev.pushline.examples.logtail.PageServer;
import dev.pushline.transport.websocket.WebSocketTransport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live dashboard demo: a simulated market of {@value #TICKERS} tickers, a few hundred quotes a second,
 * and the push server's own metrics, pushed to a page that draws them as live charts.
 *
 * <pre>
 * mvn -q -DskipTests package &amp;&amp; java -cp examples/target/pushline-demo.jar dev.pushline.examples.dashboard.DashboardDemo
 * </pre>
 *
 * <h2>Channels</h2>
 * <ul>
 *   <li>{@code ticker:<SYMBOL>}, one per ticker: event {@value MarketFeed#EVENT}, data a {@link Quote}, the
 *       ticker's whole state;</li>
 *   <li>{@value #METRICS_CHANNEL}: event {@value MetricsSampler#EVENT} once a second, data a
 *       {@link ServerMetrics}, with the last minute of rates.</li>
 * </ul>
 * Both namespaces have the options {@link #LATEST_STATE}: the slow-consumer policy {@code KEEP_LATEST} and a
 * history of one publication. {@code KEEP_LATEST} holds back, per connection and per channel, only the
 * newest publication while the connection's queue is full, so a channel must carry one thing whose latest
 * value is all that matters: one ticker per channel, each publication its whole state. (One channel for all
 * tickers would lose every ticker but the last one published while a page is slow.) Every channel the page
 * subscribes to has this policy: the queue is shared by the connection's channels, and a publication of a
 * {@code DISCONNECT} channel that finds it full closes the connection, whatever the other channels' policy.
 *
 * <h2>Parts</h2>
 * <ul>
 *   <li>a {@link PushServer} on {@code --port}, behind an {@link OriginCheckingTransport};</li>
 *   <li>a {@link MarketFeed}, stepped every {@link #STEP_INTERVAL} (with a fixed delay, so at most
 *       {@value #MAX_UPDATES_PER_SECOND} quotes a second), and a {@link MetricsSampler}, every
 *       {@link #METRICS_INTERVAL}, both on one scheduler thread;</li>
 *   <li>a {@link PageServer} on {@code --http-port} with the page, {@code /config.json} and
 *       {@code /pushline.js}, the browser client from pushline-core's classpath.</li>
 * </ul>
 *
 * <h2>Lifecycle</h2>
 * {@link #start(DemoOptions)} binds both ports, publishes every ticker's opening quote and starts
 * publishing. {@link #close} stops publishing first (so nothing publishes into a closing server), then
 * closes the push server (clients get 1001 and reconnect) and the page server. {@code main} closes it from
 * a shutdown hook, so Ctrl-C stops the demo cleanly.
 *
 * <p>Thread-safe.
 */
public final class DashboardDemo implements DemoMain.Demo {

  private static final DemoMain MAIN = new DemoMain("pushline-dashboard", "dashboard-shutdown",
      DemoOptions::parseWithoutFile, DashboardDemo::usage, DashboardDemo::start);

  private static final Logger log = LoggerFactory.getLogger(DashboardDemo.class);

  /** The namespace of the ticker channels, {@code ticker:ACME}. */
  static final String TICKER_NAMESPACE = "ticker";

  /** The namespace of the metrics channel. */
  static final String METRICS_NAMESPACE = "metrics";

  /** The channel of the server's metrics. */
  static final String METRICS_CHANNEL = METRICS_NAMESPACE + ":server";

  /** How many tickers. */
  static final int TICKERS = 20;

  /** The pause between two steps of the feed. */
  static final Duration STEP_INTERVAL = Duration.ofMillis(20);

  /** Tickers moved per step. */
  static final int UPDATES_PER_STEP = 6;

  /** The most quotes published in a second: a step at most every {@link #STEP_INTERVAL}. */
  static final int MAX_UPDATES_PER_SECOND = 300;

  /** How often the server's metrics are published. */
  static final Duration METRICS_INTERVAL = Duration.ofSeconds(1);

  /** How many samples' rates each metrics publication carries: the last minute. */
  static final int METRICS_WINDOW = 60;

  /**
   * The options of the ticker and metrics namespaces: {@code KEEP_LATEST}, and a history of one
   * publication, so that a page that subscribes (or resubscribes) with {@code history: 1} gets each
   * channel's current state at once. Publications stay in history for 5 minutes; the feed replaces them
   * many times a second.
   */
  static final ChannelOptions LATEST_STATE = ChannelOptions.DEFAULT
      .withHistory(1, ChannelOptions.DEFAULT.historyTtl())
      .withSlowConsumerPolicy(SlowConsumerPolicy.KEEP_LATEST);

  private static final String WEB_RESOURCES = "/dev/pushline/examples/dashboard/web/";
  /** The browser client, from pushline-core's resources; the page imports it from its own server. */
  private static final Map<String, String> CLASSPATH_FILES = Map.of("/pushline.js", "/dev/pushline/js/pushline.js");

  static {
    // The constants are spelled out for {@value} in the docs; they must agree with what they describe.
    if (MAX_UPDATES_PER_SECOND != UPDATES_PER_STEP * 1000 / STEP_INTERVAL.toMillis()
        || TICKERS != MarketFeed.SYMBOLS.size()) {
      throw new AssertionError("MAX_UPDATES_PER_SECOND or TICKERS does not match what it describes");
    }
  }

  private final DemoOptions options;
  private final PushServer push;
  private final PageServer page;
  private final MarketFeed feed;
  private final MetricsSampler sampler;
  private final Map<String, Channel> channels;
  private final Closer closer = new Closer();
  /**
   * Guards {@link #scheduler}. {@link #close} marks the closer before {@link #stopPublishing} takes this
   * lock, so a concurrent {@link #startPublishing} either sees the closer closing or has set the scheduler
   * that close then stops.
   */
  private final Object lock = new Object();
  private ScheduledExecutorService scheduler; // guarded by lock; null while not publishing

  private DashboardDemo(DemoOptions options, PushServer push, PageServer page, Random random, Clock clock) {
    this.options = options;
    this.push = push;
    this.page = page;
    Map<String, Channel> byName = new HashMap<>();
    for (String symbol : MarketFeed.SYMBOLS) {
      byName.put(symbol, push.channel(tickerChannel(symbol)));
    }
    this.channels = Map.copyOf(byName);
    Channel metrics = push.channel(METRICS_CHANNEL);
    this.feed = new MarketFeed(MarketFeed.SYMBOLS, UPDATES_PER_STEP, random, clock,
        quote -> channels.get(quote.symbol()).publish(MarketFeed.EVENT, quote));
    this.sampler = new MetricsSampler(push::stats, clock, METRICS_WINDOW,
        m -> metrics.publish(MetricsSampler.EVENT, m));
  }

  /** Runs the demo until Ctrl-C. Exit status 2 for bad arguments, 1 if it cannot start. */
  public static void main(String[] args) {
    MAIN.main(args);
  }

  /** What {@code main} does, minus {@code System.exit}: see {@link DemoMain#run}. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    return MAIN.run(args, out, err);
  }

  /** What {@code --help} prints. */
  static String usage() {
    return String.join(System.lineSeparator(),
        "Usage: java -cp examples/target/pushline-demo.jar dev.pushline.examples.dashboard.DashboardDemo [options]",
        "",
        "Pushes a simulated market (" + TICKERS + " tickers, up to " + MAX_UPDATES_PER_SECOND
            + " quotes a second, one channel",
        "\"" + TICKER_NAMESPACE + ":<SYMBOL>\" per ticker) and the push server's own metrics (channel \""
            + METRICS_CHANNEL + "\",",
        "every second), and serves a page that draws them live.",
        "",
        "Options:",
        "  --host HOST        interface to bind both servers to (default " + DemoOptions.DEFAULT_HOST + ", this",
        "                     machine only; 0.0.0.0 exposes the demo to the network)",
        "  --port PORT        WebSocket port (default " + DemoOptions.DEFAULT_PORT + "; 0 picks a free port)",
        "  --http-port PORT   port of the page (default " + DemoOptions.DEFAULT_HTTP_PORT + "; 0 picks a free port)",
        "  -h, --help         print this help and exit",
        "");
  }

  /**
   * Starts the demo with a random market and the system clock, and starts publishing.
   *
   * @throws IOException if the page's port cannot be bound
   * @throws PushException if the WebSocket port cannot be bound
   */
  static DashboardDemo start(DemoOptions options) throws IOException {
    DashboardDemo demo = start(options, new Random(), Clock.systemUTC());
    demo.startPublishing();
    return demo;
  }

  /**
   * Binds both ports, with a market drawn from {@code random} and quotes dated by {@code clock}, and
   * publishes nothing yet: {@link #startPublishing()} starts the schedule, {@link #stepNow()} and
   * {@link #sampleNow()} publish once on the caller's thread. Tests start it this way.
   *
   * @throws IOException if the page's port cannot be bound
   * @throws PushException if the WebSocket port cannot be bound
   */
  static DashboardDemo start(DemoOptions options, Random random, Clock clock) throws IOException {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(clock, "clock");
    PushServer push = null;
    PageServer page = null;
    try {
      push = withChannelOptions(PushServer.builder())
          .host(options.host())
          .port(options.port())
          // As in the log tail demo: the page comes from another port, and on a non-loopback bind from
          // whatever name the machine is reached by, so the transport wrapper checks origins.
          .allowedOrigins("*")
          .transport(new OriginCheckingTransport(WebSocketTransport.create(), LogTailDemo.isLoopback(options.host())))
          .build()
          .start();
      try {
        page = PageServer.start(options.host(), options.httpPort(), WEB_RESOURCES, CLASSPATH_FILES, configJson(push));
      } catch (IOException e) {
        throw new IOException("cannot serve the page on " + options.host() + ":" + options.httpPort() + ": "
            + e.getMessage(), e);
      }
      return new DashboardDemo(options, push, page, random, clock);
    } catch (IOException | RuntimeException e) {
      if (page != null) {
        page.close();
      }
      if (push != null) {
        push.close();
      }
      throw e;
    }
  }

  /** The demo's channel options ({@link #LATEST_STATE} for both namespaces) on {@code builder}. */
  static PushServer.Builder withChannelOptions(PushServer.Builder builder) {
    return builder
        .channelOptions(TICKER_NAMESPACE, LATEST_STATE)
        .channelOptions(METRICS_NAMESPACE, LATEST_STATE);
  }

  /** {@code ticker:<symbol>}. */
  static String tickerChannel(String symbol) {
    return TICKER_NAMESPACE + ":" + symbol;
  }

  /**
   * Publishes every ticker's current quote, then steps the feed every {@link #STEP_INTERVAL} and samples
   * the metrics every {@link #METRICS_INTERVAL}, on one daemon thread, until {@link #stopPublishing()} or
   * {@link #close()}. Does nothing if already publishing.
   *
   * @throws IllegalStateException if the demo is closed
   */
  void startPublishing() {
    synchronized (lock) {
      if (closer.isClosing()) {
        throw new IllegalStateException("the demo is closed");
      }
      if (scheduler != null) {
        return;
      }
      scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dashboard-publisher");
        t.setDaemon(true);
        return t;
      });
      scheduler.execute(new Scheduled("the opening quotes", feed::publishAll));
      scheduler.scheduleWithFixedDelay(new Scheduled("quotes", feed::step),
          0, STEP_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
      scheduler.scheduleWithFixedDelay(new Scheduled("metrics", sampler::sample),
          0, METRICS_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Stops publishing and returns once the publishing thread has ended (a publication in progress is
   * waited for; after 5 s it is interrupted). Idempotent.
   */
  void stopPublishing() {
    ScheduledExecutorService stopping;
    synchronized (lock) {
      stopping = scheduler;
      scheduler = null;
    }
    if (stopping == null) {
      return;
    }
    stopping.shutdown();
    try {
      if (!stopping.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("the publishing thread did not stop within 5 s; interrupting it");
        stopping.shutdownNow();
      }
    } catch (InterruptedException e) {
      stopping.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** One step of the feed, now, on the calling thread: what the schedule does every {@link #STEP_INTERVAL}. */
  List<Quote> stepNow() {
    return feed.step();
  }

  /** Every ticker's current quote, published now, on the calling thread. */
  List<Quote> publishAllNow() {
    return feed.publishAll();
  }

  /** One metrics sample, now, on the calling thread (the first one only sets the counters to count from). */
  void sampleNow() {
    sampler.sample();
  }

  /** The channel of {@code symbol}'s quotes. */
  Channel tickerChannelOf(String symbol) {
    Channel channel = channels.get(symbol);
    if (channel == null) {
      throw new IllegalArgumentException("symbol is " + symbol + "; the demo's are " + MarketFeed.SYMBOLS);
    }
    return channel;
  }

  /** The push server, for tests that act on its connections (cut the page's, as a failing network would). */
  PushServer pushServer() {
    return push;
  }

  /** {@code ws://host:port/pushline}: where clients connect. */
  URI webSocketUri() {
    return URI.create("ws://" + LogTailDemo.urlHost(options.host()) + ":" + push.port() + push.path());
  }

  /** {@code http://host:port/}: the page. */
  URI pageUri() {
    return URI.create("http://" + LogTailDemo.urlHost(options.host()) + ":" + page.port() + "/");
  }

  /** Prints where to connect, each URL on a line of its own, then what is being pushed. */
  @Override
  public void printBanner(PrintStream out) {
    out.println("WebSocket: " + webSocketUri());
    out.println("Page:      " + pageUri());
    if (LogTailDemo.isWildcard(options.host())) {
      out.println("(listening on every interface: from other machines use this machine's name or address)");
    }
    out.println("Pushing:   " + TICKERS + " simulated tickers, up to " + MAX_UPDATES_PER_SECOND
        + " quotes a second, to channels \"" + TICKER_NAMESPACE + ":<SYMBOL>\", and the server's metrics"
        + " every second to \"" + METRICS_CHANNEL + "\".");
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }

  /** Blocks until {@link #close()} has finished. */
  @Override
  public void awaitClosed() {
    closer.awaitClosed();
  }

  /**
   * Stops publishing, closes every WebSocket with 1001 and frees both ports. Idempotent; returns once
   * everything is stopped.
   */
  @Override
  public void close() {
    closer.close(() -> {
      stopPublishing();
      push.close();
      page.close();
      log.info("stopped");
    });
  }

  /**
   * A scheduled task: a failure is logged (once while it lasts, as the feed runs 50 times a second) and
   * the schedule goes on (an escaping exception would end it). Runs on the publishing thread only.
   */
  private static final class Scheduled implements Runnable {
    private final String what;
    private final Runnable task;
    private boolean failing;

    Scheduled(String what, Runnable task) {
      this.what = what;
      this.task = task;
    }

    @Override
    public void run() {
      try {
        task.run();
        if (failing) {
          failing = false;
          log.info("publishing {} works again", what);
        }
      } catch (RuntimeException e) {
        if (!failing) {
          failing = true;
          log.error("publishing {} failed; trying again on schedule (logged once until it works again)", what, e);
        }
      }
    }
  }

  private static String configJson(PushServer push) {
    JsonObject config = new JsonObject();
    config.addProperty("webSocketPort", push.port());
    config.addProperty("webSocketPath", push.path());
    config.addProperty("tickerNamespace", TICKER_NAMESPACE);
    JsonArray symbols = new JsonArray();
    MarketFeed.SYMBOLS.forEach(symbols::add);
    config.add("symbols", symbols);
    config.addProperty("quoteEvent", MarketFeed.EVENT);
    config.addProperty("metricsChannel", METRICS_CHANNEL);
    config.addProperty("metricsEvent", MetricsSampler.EVENT);
    config.addProperty("maxUpdatesPerSecond", MAX_UPDATES_PER_SECOND);
    return config.toString();
  }
}
