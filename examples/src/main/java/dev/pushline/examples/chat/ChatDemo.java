package dev.pushline.examples.chat;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.examples.logtail.Closer;
import dev.pushline.examples.logtail.DemoMain;
import dev.pushline.examples.logtail.DemoOptions;
import dev.pushline.examples.logtail.DemoOptions.UsageException;
import dev.pushline.examples.logtail.LogTailDemo;
import dev.pushline.examples.logtail.OriginCheckingTransport;
import dev.pushline.examples.logtail.PageServer;
import dev.pushline.transport.websocket.WebSocketTransport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat demo: a few chat rooms, each a Pushline channel {@code room:<name>}, with who is in the room
 * (presence), the last {@value #HISTORY_SIZE} messages for whoever comes in (history), messages published
 * by the pages through the server's authorization hook, which stamps the sender, and a token per user from
 * the demo's login step.
 *
 * <pre>
 * mvn -q -DskipTests package &amp;&amp; java -cp examples/target/pushline-demo.jar dev.pushline.examples.chat.ChatDemo
 * </pre>
 *
 * <h2>Parts</h2>
 * <ul>
 *   <li>a {@link TokenIssuer} with a random secret: HS256 tokens with the user name as {@code sub}, valid
 *       for {@link TokenIssuer#TOKEN_TTL};</li>
 *   <li>a {@link PushServer} on {@code --port} that authenticates with the issuer's {@code JwtAuthenticator},
 *       lets clients publish ({@code allowClientPublish()}) and authorizes with a {@link RoomAuthorizer}
 *       (subscribe and publish to the rooms when logged in; each message published as
 *       {@code {user, text, sentAt}} with the user name from the token), keeps presence and history in the
 *       {@value #NAMESPACE} namespace, and checks origins with an {@link OriginCheckingTransport};</li>
 *   <li>a {@link PageServer} on {@code --http-port} with the page, {@code pushline.js} (the browser client,
 *       from pushline-core's resources), {@code /config.json} and {@code POST /login} ({@link Login}).</li>
 * </ul>
 *
 * <h2>Lifecycle</h2>
 * {@link #start} returns once both ports are bound; {@link #close} closes the push server (clients get
 * 1001 and reconnect) and the page server. {@code main} closes it from a shutdown hook, so Ctrl-C stops the
 * demo cleanly.
 *
 * <p>Thread-safe.
 */
public final class ChatDemo implements DemoMain.Demo {

  private static final DemoMain MAIN =
      new DemoMain("chat-demo", "chat-shutdown", ChatDemo::parse, ChatDemo::usage, ChatDemo::start);

  private static final Logger log = LoggerFactory.getLogger(ChatDemo.class);

  /** The namespace of the rooms' channels: room {@code lobby} is channel {@code room:lobby}. */
  static final String NAMESPACE = "room";

  /** The rooms, the first one where a page starts. */
  static final List<String> ROOMS = List.of("lobby", "random", "dev");

  /** How many messages a room keeps for newcomers and reconnecting pages. */
  static final int HISTORY_SIZE = 50;

  /** How long a room keeps a message. */
  static final Duration HISTORY_TTL = Duration.ofHours(24);

  private static final String RESOURCES = "/dev/pushline/examples/chat/web/";

  /** The browser client, from pushline-core's resources; served at {@code /pushline.js}. */
  private static final String CLIENT_SCRIPT = "/dev/pushline/js/pushline.js";

  private final DemoOptions options;
  private final TokenIssuer tokens;
  private final PushServer push;
  private final PageServer page;
  private final Closer closer = new Closer();

  private ChatDemo(DemoOptions options, TokenIssuer tokens, PushServer push, PageServer page) {
    this.options = options;
    this.tokens = tokens;
    this.push = push;
    this.page = page;
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
   * The log tail demo's options ({@code --host}, {@code --port}, {@code --http-port}, {@code --help}) and
   * the same defaults, without its FILE.
   *
   * @throws UsageException when the arguments are wrong
   */
  static DemoOptions parse(String... args) throws UsageException {
    DemoOptions options = DemoOptions.parse(args);
    if (options.file() != null && !options.help()) {
      throw new UsageException("unexpected argument \"" + options.file() + "\"; the chat demo takes options only");
    }
    return options;
  }

  /** What {@code --help} prints. */
  static String usage() {
    return String.join(System.lineSeparator(),
        "Usage: java -cp examples/target/pushline-demo.jar dev.pushline.examples.chat.ChatDemo [options]",
        "",
        "A chat with rooms (" + String.join(", ", ROOMS) + "), who is in each room, and the last "
            + HISTORY_SIZE + " messages",
        "for newcomers. Log in on the page with any user name: this demo has no passwords.",
        "",
        "Options:",
        "  --host HOST        interface to bind both servers to (default " + DemoOptions.DEFAULT_HOST + ", this",
        "                     machine only; 0.0.0.0 exposes the chat to the network)",
        "  --port PORT        WebSocket port (default " + DemoOptions.DEFAULT_PORT + "; 0 picks a free port)",
        "  --http-port PORT   port of the page (default " + DemoOptions.DEFAULT_HTTP_PORT
            + "; 0 picks a free port)",
        "  -h, --help         print this help and exit",
        "");
  }

  /**
   * Starts the demo with the system clock.
   *
   * @throws IOException if the page's port cannot be bound
   * @throws PushException if the WebSocket port cannot be bound
   */
  static ChatDemo start(DemoOptions options) throws IOException {
    return start(options, Clock.systemUTC());
  }

  /**
   * Starts the demo; {@code clock} dates tokens and messages and is what token expiry is checked against
   * (tests move it).
   */
  static ChatDemo start(DemoOptions options, Clock clock) throws IOException {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(clock, "clock");
    TokenIssuer tokens = TokenIssuer.withRandomSecret(clock);
    RoomAuthorizer authorizer = new RoomAuthorizer(roomChannels(), clock);
    PushServer push = null;
    PageServer page = null;
    try {
      push = PushServer.builder()
          .host(options.host())
          .port(options.port())
          .authenticator(tokens.authenticator())
          .allowClientPublish()
          .channelAuthorizer(authorizer)
          .channelOptions(NAMESPACE, roomOptions())
          // As in the log tail demo: the page comes from another port, and on a non-loopback bind from
          // whatever name the machine is reached by, so the transport wrapper checks origins.
          .allowedOrigins("*")
          .transport(new OriginCheckingTransport(WebSocketTransport.create(),
              LogTailDemo.isLoopback(options.host())))
          .build()
          .start();
      Login login = new Login(tokens);
      try {
        page = PageServer.start(options.host(), options.httpPort(), RESOURCES, "index.html",
            List.of(CLIENT_SCRIPT), configJson(push), Map.of("/login", new PageServer.Endpoint("POST",
                login::handle)));
      } catch (IOException e) {
        throw new IOException("cannot serve the page on " + options.host() + ":" + options.httpPort() + ": "
            + e.getMessage(), e);
      }
      log.info("chat rooms {} in channels {}:<room>", ROOMS, NAMESPACE);
      return new ChatDemo(options, tokens, push, page);
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

  /** The options of the rooms' channels: presence on, the last {@value #HISTORY_SIZE} messages kept. */
  static ChannelOptions roomOptions() {
    return ChannelOptions.DEFAULT.withHistory(HISTORY_SIZE, HISTORY_TTL).withPresence(true);
  }

  /** {@code room:lobby}, ...: the channel of each room. */
  static Set<String> roomChannels() {
    Set<String> channels = new LinkedHashSet<>();
    ROOMS.forEach(room -> channels.add(channelOf(room)));
    return channels;
  }

  /** The channel of {@code room}. */
  static String channelOf(String room) {
    return NAMESPACE + ":" + room;
  }

  /** {@code ws://host:port/pushline}: where the page connects. */
  URI webSocketUri() {
    return URI.create("ws://" + LogTailDemo.urlHost(options.host()) + ":" + push.port() + push.path());
  }

  /** {@code http://host:port/}: the page. */
  URI pageUri() {
    return URI.create("http://" + LogTailDemo.urlHost(options.host()) + ":" + page.port() + "/");
  }

  /** Prints where to connect, each URL on a line of its own. */
  @Override
  public void printBanner(PrintStream out) {
    out.println("WebSocket: " + webSocketUri());
    out.println("Page:      " + pageUri() + "  (open it in two tabs and log in as two users)");
    if (LogTailDemo.isWildcard(options.host())) {
      out.println("(listening on every interface: from other machines use this machine's name or address)");
    }
    out.println("Rooms:     " + String.join(", ", ROOMS) + " (channels " + String.join(", ", roomChannels())
        + ")");
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }

  /** The push server, for tests that act on its connections (cut one, as a failing network would). */
  PushServer pushServer() {
    return push;
  }

  /** How many tokens the login step has issued: the first login and each renewal. */
  long tokensIssued() {
    return tokens.issued();
  }

  /** The channel of {@code room}. */
  Channel room(String room) {
    return push.channel(channelOf(room));
  }

  /** Blocks until {@link #close()} has finished. */
  @Override
  public void awaitClosed() {
    closer.awaitClosed();
  }

  /** Closes every WebSocket with 1001 and frees both ports. Idempotent; returns once everything is stopped. */
  @Override
  public void close() {
    closer.close(() -> {
      push.close();
      page.close();
      log.info("stopped");
    });
  }

  private static String configJson(PushServer push) {
    JsonObject config = new JsonObject();
    config.addProperty("webSocketPort", push.port());
    config.addProperty("webSocketPath", push.path());
    config.add("rooms", new Gson().toJsonTree(ROOMS));
    config.addProperty("namespace", NAMESPACE);
    config.addProperty("history", HISTORY_SIZE);
    config.addProperty("event", RoomAuthorizer.EVENT);
    config.addProperty("maxMessageChars", RoomAuthorizer.MAX_TEXT_CHARS);
    config.addProperty("maxNameChars", Login.MAX_NAME_CHARS);
    return config.toString();
  }
}
