package dev.pushline.examples.logtail;

import dev.pushline.PushException;
import dev.pushline.examples.logtail.DemoOptions.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The command line shared by the single-server demos (log tail, chat, dashboard): parse the arguments,
 * print help or a usage error, or start the demo, close it from a shutdown hook, print its banner and wait
 * until it is closed.
 *
 * <h2>Exit status</h2>
 * 0 after help or a clean stop, 1 if the demo could not start ({@link IOException} or
 * {@link PushException} from the starter), 2 for bad arguments. Every error line starts with
 * {@code <name>: }.
 *
 * <p>Thread-safe (immutable).
 *
 * @param name the demo's name in error messages, {@code pushline-demo}
 * @param shutdownThread the name of the shutdown hook's thread, {@code logtail-shutdown}
 * @param parser reads the arguments
 * @param usage what {@code --help} prints, and what follows a usage error
 * @param starter starts the demo; returns once it serves
 */
public record DemoMain(String name, String shutdownThread, Parser parser, Supplier<String> usage, Starter starter) {

  /** A demo {@link DemoMain} can run: it prints where to connect and is closed once, from any thread. */
  public interface Demo extends AutoCloseable {
    /** Prints where to connect, each URL on a line of its own. */
    void printBanner(PrintStream out);

    /** Blocks until {@link #close()} has finished. */
    void awaitClosed();

    /** Stops the demo. Idempotent; returns once everything is stopped. */
    @Override
    void close();
  }

  /** Reads the command line. */
  @FunctionalInterface
  public interface Parser {
    /** @throws UsageException when the arguments are wrong */
    DemoOptions parse(String[] args) throws UsageException;
  }

  /** Starts a demo. */
  @FunctionalInterface
  public interface Starter {
    /**
     * @throws IOException if a port or a file cannot be opened
     * @throws PushException if the WebSocket port cannot be bound
     */
    Demo start(DemoOptions options) throws IOException;
  }

  public DemoMain {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(shutdownThread, "shutdownThread");
    Objects.requireNonNull(parser, "parser");
    Objects.requireNonNull(usage, "usage");
    Objects.requireNonNull(starter, "starter");
  }

  /** What a demo's {@code main} does: {@link #run}, then {@code System.exit} unless the status is 0. */
  public void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * What {@code main} does, minus {@code System.exit}: parses {@code args}, prints help or a usage error,
   * or starts the demo, prints its URLs to {@code out} and waits until it is closed.
   *
   * @return the process exit status: 0 after help or a clean stop, 1 if the demo could not start, 2 for
   *     bad arguments
   */
  public int run(String[] args, PrintStream out, PrintStream err) {
    DemoOptions options;
    try {
      options = parser.parse(args);
    } catch (UsageException e) {
      err.println(name + ": " + e.getMessage());
      err.println();
      err.print(usage.get());
      return 2;
    }
    if (options.help()) {
      out.print(usage.get());
      return 0;
    }
    Demo demo;
    try {
      demo = starter.start(options);
    } catch (IOException | PushException e) {
      err.println(name + ": cannot start: " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(demo::close, shutdownThread));
    demo.printBanner(out);
    demo.awaitClosed();
    return 0;
  }
}
