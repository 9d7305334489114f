package dev.pushline.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What every demo's command line does when it cannot start: its subclasses name the demo and run it, and
 * add the cases of their own (usage, their options).
 */
public abstract class DemoCommandLineContract {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /** Runs the demo's command line, as its {@code run(args, out, err)} does. */
  protected abstract int launch(String[] args, PrintStream out, PrintStream err);

  /** The name the demo gives itself in its messages, such as {@code pushline-demo}. */
  protected abstract String program();

  protected final int run(String... args) {
    return launch(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  protected final String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  protected final String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aBusyWebSocketPortExitsWith1() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int status = run("--port", Integer.toString(busy.getLocalPort()), "--http-port", "0");

      assertEquals(1, status);
      assertTrue(err().startsWith(program() + ": cannot start: "), err());
      assertTrue(err().contains(Integer.toString(busy.getLocalPort())), err());
    }
  }

  @Test
  void aBusyPagePortExitsWith1() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int status = run("--port", "0", "--http-port", Integer.toString(busy.getLocalPort()));

      assertEquals(1, status);
      assertTrue(err().startsWith(program() + ": cannot start: cannot serve the page on 127.0.0.1:"), err());
    }
  }
}
