package dev.pushline.examples.logtail;

import com.google.gson.JsonObject;
import dev.pushline.Channel;
import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.transport.websocket.WebSocketTransport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log tail demo: follows a log file (or generates one) and pushes every new line to the Pushline
 * channel {@value #CHANNEL}, where a web page shows it live.
 *
 * <pre>
 * mvn -q -DskipTests package &amp;&amp; java -jar examples/target/pushline-demo.jar [options] [FILE]
 * </pre>
 *
 * <h2>Parts</h2>
 * <ul>
 *   <li>a {@link LineSource}: a {@link LogTailer} on FILE, or a {@link SampleLogGenerator};</li>
 *   <li>a {@link PushServer} on {@code --port}, behind an {@link OriginCheckingTransport};</li>
 *   <li>a {@link LinePump}, run every {@link #POLL_INTERVAL} by one scheduler thread, which publishes
 *       each line as event {@value LinePump#EVENT} with a {@link LogLine} as data;</li>
 *   <li>a {@link PageServer} on {@code --http-port} with the page, {@code /config.json} and
 *       {@code /pushline.js}, the browser client the page imports (pages of other origins may import it
 *       too, as the README's browser snippet does).</li>
 * </ul>
 *
 * <h2>Lifecycle</h2>
 * {@link #start} starts everything and returns once both ports are bound; {@link #close} stops the
 * scheduler first (so nothing publishes into a closing server), then closes the source, the push server
 * (clients get 1001 and reconnect) and the page server. {@code main} closes it from a shutdown hook, so
 * Ctrl-C stops the demo cleanly.
 *
 * <p>Thread-safe.
 */
public final class LogTailDemo implements DemoMain.Demo {

  private static final DemoMain MAIN = new DemoMain("pushline-demo", "logtail-shutdown",
      DemoOptions::parse, DemoOptions::usage, LogTailDemo::start);

  private static final Logger log = LoggerFactory.getLogger(LogTailDemo.class);

  /** The channel every line is published to. */
  static final String CHANNEL = "logs";

  /** How often the source is polled. */
  static final Duration POLL_INTERVAL = Duration.ofMillis(100);

  /** How many lines the page keeps; older ones are dropped from the page. */
  static final int PAGE_MAX_LINES = 2_000;

  private final DemoOptions options;
  private final LineSource source;
  private final PushServer push;
  private final PageServer page;
  private final LinePump pump;
  private final ScheduledExecutorService scheduler;
  private final Closer closer = new Closer();

  private LogTailDemo(DemoOptions options, LineSource source, PushServer push, PageServer page,
      ScheduledExecutorService scheduler) {
    this.options = options;
    this.source = source;
    this.push = push;
    this.page = page;
    this.scheduler = scheduler;
    this.pump = new LinePump(source, push.channel(CHANNEL));
  }

  /** Runs the demo until Ctrl-C. Exit status 2 for bad arguments, 1 if it cannot start. */
  public static void main(String[] args) {
    MAIN.main(args);
  }

  /** What {@code main} does, minus {@code System.exit}: see {@link DemoMain#run}. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    return MAIN.run(args, out, err);
  }

  /**
   * Starts the demo: opens the source FILE (or makes a generator), binds both ports and starts polling.
   *
   * @throws IOException if FILE exists but cannot be opened, or the page's port cannot be bound
   * @throws PushException if the WebSocket port cannot be bound
   */
  static LogTailDemo start(DemoOptions options) throws IOException {
    return start(options, openSource(options.file()));
  }

  /**
   * A {@link LogTailer} on {@code file}, or a {@link SampleLogGenerator} when {@code file} is null.
   *
   * @throws IOException if {@code file} exists but cannot be opened
   */
  static LineSource openSource(Path file) throws IOException {
    if (file == null) {
      return new SampleLogGenerator(new Random(), Clock.systemDefaultZone());
    }
    try {
      return LogTailer.fromEnd(file);
    } catch (IOException e) {
      throw new IOException("cannot open " + file + ": " + e, e);
    }
  }

  /**
   * Starts the demo on {@code source}, which it owns from now on: it is closed with the demo, or right
   * away if the demo cannot start. Tests pass their own source here.
   */
  static LogTailDemo start(DemoOptions options, LineSource source) throws IOException {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(source, "source");
    PushServer push = null;
    PageServer page = null;
    try {
      push = PushServer.builder()
          .host(options.host())
          .port(options.port())
          // The page is served from another port, and on a non-loopback bind from whatever name the
          // machine is reached by: a rule an allow-list can't state, so the transport wrapper checks
          // origins and the server's own check is told to let every origin through to it.
          .allowedOrigins("*")
          .transport(new OriginCheckingTransport(WebSocketTransport.create(), isLoopback(options.host())))
          .build()
          .start();
      try {
        page = PageServer.start(options.host(), options.httpPort(), configJson(push, source));
      } catch (IOException e) {
        throw new IOException("cannot serve the page on " + options.host() + ":" + options.httpPort() + ": "
            + e.getMessage(), e);
      }
      ScheduledExecutorService scheduler = newPumpScheduler();
      LogTailDemo demo = new LogTailDemo(options, source, push, page, scheduler);
      scheduler.scheduleWithFixedDelay(demo::pumpScheduled, 0, POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
      log.info("pushing lines of {} to channel \"{}\"", source.description(), CHANNEL);
      return demo;
    } catch (IOException | RuntimeException e) {
      if (page != null) {
        page.close();
      }
      if (push != null) {
        push.close();
      }
      closeQuietly(source, e);
      throw e;
    }
  }

  /** The one thread that runs the pump: a daemon, so that it never keeps the JVM alive. */
  static ScheduledExecutorService newPumpScheduler() {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "logtail-pump");
      t.setDaemon(true);
      return t;
    });
  }

  /** Stops {@code scheduler} and waits for a poll in progress; after 5 s it interrupts the poll. */
  static void stopPump(ScheduledExecutorService scheduler) {
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("the pump did not stop within 5 s; interrupting it");
        scheduler.shutdownNow();
      }
    } catch (InterruptedException e) {
      scheduler.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** {@code ws://host:port/pushline}: where clients connect. */
  URI webSocketUri() {
    return URI.create("ws://" + urlHost() + ":" + push.port() + push.path());
  }

  /** {@code http://host:port/}: the page. */
  URI pageUri() {
    return URI.create("http://" + urlHost() + ":" + page.port() + "/");
  }

  /** {@code http://host:port/pushline.js}: the browser client, for pages of any origin on this machine. */
  URI clientUri() {
    return pageUri().resolve("/pushline.js");
  }

  /** Prints where to connect, each URL on a line of its own, then what is being pushed. */
  @Override
  public void printBanner(PrintStream out) {
    out.println("WebSocket: " + webSocketUri());
    out.println("Page:      " + pageUri());
    out.println("Client:    " + clientUri() + "  (pushline.js, for your own pages: see the README)");
    if (isWildcard(options.host())) {
      out.println("(listening on every interface: from other machines use this machine's name or address)");
    }
    String waiting = source instanceof LogTailer tailer && !Files.exists(tailer.path())
        ? " (it does not exist yet: waiting for it)" : "";
    out.println("Pushing:   " + source.description() + waiting + " to channel \"" + CHANNEL + "\".");
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }

  /**
   * Polls the source and publishes what it returned, now, on the calling thread. The scheduler does the
   * same every {@link #POLL_INTERVAL}; tests call this to avoid waiting for it.
   *
   * @return how many lines were published
   */
  int pumpNow() {
    return pump.pumpOnce();
  }

  /** The channel the lines go to. */
  Channel channel() {
    return push.channel(CHANNEL);
  }

  /** The push server, for tests that act on its connections (cut the page's, as a failing network would). */
  PushServer pushServer() {
    return push;
  }

  /** Blocks until {@link #close()} has finished. */
  @Override
  public void awaitClosed() {
    closer.awaitClosed();
  }

  /**
   * Stops polling, closes the source, closes every WebSocket with 1001 and frees both ports.
   * Idempotent; returns once everything is stopped.
   */
  @Override
  public void close() {
    closer.close(() -> {
      stopPump(scheduler);
      closeQuietly(source, null);
      push.close();
      page.close();
      log.info("stopped");
    });
  }

  /** The scheduled task: a failure is logged and the schedule goes on (an escaping exception would end it). */
  private void pumpScheduled() {
    try {
      pump.pumpOnce();
    } catch (RuntimeException e) {
      log.error("publishing lines of {} failed; trying again at the next poll", source.description(), e);
    }
  }

  private String urlHost() {
    return urlHost(options.host());
  }

  /** How to write {@code bindHost} in a URL: loopback for a wildcard bind, IPv6 in brackets. */
  public static String urlHost(String bindHost) {
    String host = isWildcard(bindHost) ? "127.0.0.1" : bindHost;
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private static String configJson(PushServer push, LineSource source) {
    JsonObject config = pageConfig(source);
    config.addProperty("webSocketPort", push.port());
    config.addProperty("webSocketPath", push.path());
    return config.toString();
  }

  /** What {@code /config.json} says whatever the nodes: the channel, the event, the source, the line limit. */
  static JsonObject pageConfig(LineSource source) {
    JsonObject config = new JsonObject();
    config.addProperty("channel", CHANNEL);
    config.addProperty("event", LinePump.EVENT);
    config.addProperty("source", source instanceof LogTailer tailer
        ? String.valueOf(tailer.path().getFileName())
        : source.description());
    config.addProperty("maxLines", PAGE_MAX_LINES);
    return config;
  }

  /** Whether {@code host} is the wildcard address: every interface, IPv4 or IPv6. */
  public static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("0:0:0:0:0:0:0:0");
  }

  /** Whether {@code host} names this machine only (127.0.0.1, ::1, localhost); false if it cannot be resolved. */
  public static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false; // binding fails right after with a clear message
    }
  }

  static void closeQuietly(LineSource source, Exception primary) {
    try {
      source.close();
    } catch (IOException e) {
      if (primary != null) {
        primary.addSuppressed(e);
      } else {
        log.warn("closing {} failed", source.description(), e);
      }
    }
  }
}
