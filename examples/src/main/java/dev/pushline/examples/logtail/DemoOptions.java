package dev.pushline.examples.logtail;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The demo's command line, parsed and checked.
 *
 * <pre>
 * [--host HOST] [--port PORT] [--http-port PORT] [--help] [--] [FILE]
 * </pre>
 * Options may also be written {@code --port=8025}. {@code --} ends the options, so that a file whose name
 * starts with {@code -} can be given.
 *
 * @param host the interface both servers bind to
 * @param port the WebSocket port; 0 picks a free one
 * @param httpPort the page's port; 0 picks a free one
 * @param file the file to follow, or null to generate a sample log
 * @param help whether {@code --help} was given: print {@link #usage()} and do nothing else
 *
 * <p>Other demos that take the same options but no FILE (the dashboard) parse with
 * {@link #parseWithoutFile}.
 */
public record DemoOptions(String host, int port, int httpPort, Path file, boolean help) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8025;
  public static final int DEFAULT_HTTP_PORT = 8080;

  public DemoOptions {
    Objects.requireNonNull(host, "host");
  }

  /** The defaults: loopback, ports 8025 and 8080, a generated log. */
  static DemoOptions defaults() {
    return new DemoOptions(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_HTTP_PORT, null, false);
  }

  /**
   * Parses {@code args}.
   *
   * @throws UsageException with a message for the user when the arguments are wrong
   */
  public static DemoOptions parse(String... args) throws UsageException {
    return parse(true, args);
  }

  /**
   * Parses {@code args} of a demo that follows no file: the same options, and no FILE ({@code file()} is
   * null).
   *
   * @throws UsageException with a message for the user when the arguments are wrong, an argument that is
   *     not an option included
   */
  public static DemoOptions parseWithoutFile(String... args) throws UsageException {
    return parse(false, args);
  }

  private static DemoOptions parse(boolean fileAllowed, String... args) throws UsageException {
    String host = DEFAULT_HOST;
    int port = DEFAULT_PORT;
    int httpPort = DEFAULT_HTTP_PORT;
    Path file = null;
    boolean optionsEnded = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!optionsEnded && (arg.equals("-h") || arg.equals("--help"))) {
        return new DemoOptions(host, port, httpPort, file, true);
      }
      if (!optionsEnded && arg.equals("--")) {
        optionsEnded = true;
        continue;
      }
      if (optionsEnded || !arg.startsWith("-") || arg.equals("-")) {
        if (!fileAllowed) {
          throw new UsageException("unexpected argument \"" + arg + "\"; this demo takes options only");
        }
        if (file != null) {
          throw new UsageException("only one file can be followed; got \"" + file + "\" and \"" + arg + "\"");
        }
        file = toFile(arg);
        continue;
      }
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (name) {
        case "--host":
          host = toHost(value != null ? value : valueAfter(args, i++, name));
          break;
        case "--port":
          port = toPort(name, value != null ? value : valueAfter(args, i++, name));
          break;
        case "--http-port":
          httpPort = toPort(name, value != null ? value : valueAfter(args, i++, name));
          break;
        default:
          throw new UsageException("unknown option " + name);
      }
    }
    if (port != 0 && port == httpPort) {
      throw new UsageException("--port and --http-port are both " + port
          + "; the WebSocket and the page need different ports (or 0 for any free one)");
    }
    return new DemoOptions(host, port, httpPort, file, false);
  }

  /** What {@code --help} prints. */
  static String usage() {
    return String.join(System.lineSeparator(),
        "Usage: java -jar examples/target/pushline-demo.jar [options] [FILE]",
        "",
        "Pushes every new line of FILE (without FILE: of a generated sample log) to the",
        "Pushline channel \"logs\" and serves a page that shows the lines live.",
        "",
        "Options:",
        "  --host HOST        interface to bind both servers to (default " + DEFAULT_HOST + ", this",
        "                     machine only; 0.0.0.0 exposes the demo to the network)",
        "  --port PORT        WebSocket port (default " + DEFAULT_PORT + "; 0 picks a free port)",
        "  --http-port PORT   port of the page (default " + DEFAULT_HTTP_PORT + "; 0 picks a free port)",
        "  -h, --help         print this help and exit",
        "",
        "FILE is followed like tail -F: lines already in it are skipped, a missing file is",
        "waited for, truncation and rotation are followed, and lines over 16 KiB are cut.",
        "");
  }

  private static String valueAfter(String[] args, int i, String name) throws UsageException {
    if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
      throw new UsageException(name + " needs a value");
    }
    return args[i + 1];
  }

  private static int toPort(String name, String value) throws UsageException {
    int port;
    try {
      port = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(name + " is \"" + value + "\"; it must be a port number from 0 to 65535");
    }
    if (port < 0 || port > 65_535) {
      throw new UsageException(name + " is " + port + "; it must be a port number from 0 to 65535");
    }
    return port;
  }

  private static String toHost(String value) throws UsageException {
    if (value.isBlank() || value.chars().anyMatch(Character::isWhitespace)) {
      throw new UsageException("--host is \"" + value + "\"; it must be a host name or an IP address");
    }
    return value;
  }

  private static Path toFile(String value) throws UsageException {
    if (value.isEmpty() || value.equals("-")) {
      throw new UsageException("FILE is \"" + value + "\"; it must name a file (standard input is not supported)");
    }
    Path path;
    try {
      path = Path.of(value);
    } catch (InvalidPathException e) {
      throw new UsageException("FILE \"" + value + "\" is not a valid path: " + e.getReason());
    }
    if (Files.isDirectory(path)) {
      throw new UsageException("FILE \"" + value + "\" is a directory; give the log file in it");
    }
    return path;
  }

  /** Arguments the demo cannot run with; the message says what is wrong, for the user. */
  public static final class UsageException extends Exception {
    public UsageException(String message) {
      super(message);
    }
  }
}
