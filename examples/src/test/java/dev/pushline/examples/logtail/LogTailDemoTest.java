package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link LogTailDemo#run}: what the command line prints and the exit status, for the cases that end. */
class LogTailDemoTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void helpPrintsUsageAndExitsWith0() {
    int status = run("--help");

    assertEquals(0, status);
    assertTrue(out().startsWith("Usage: java -jar examples/target/pushline-demo.jar"), out());
    assertEquals("", err());
  }

  @Test
  void badArgumentsPrintTheProblemAndUsageAndExitWith2() {
    int status = run("--port", "eighty");

    assertEquals(2, status);
    assertEquals("", out());
    assertTrue(err().startsWith("pushline-demo: --port is \"eighty\"; it must be a port number"), err());
    assertTrue(err().contains("Usage: "), err());
  }

  @Test
  void aBusyWebSocketPortExitsWith1() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int status = run("--port", Integer.toString(busy.getLocalPort()), "--http-port", "0");

      assertEquals(1, status);
      assertTrue(err().startsWith("pushline-demo: cannot start: "), err());
      assertTrue(err().contains(Integer.toString(busy.getLocalPort())), err());
    }
  }

  @Test
  void aBusyPagePortExitsWith1() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int status = run("--port", "0", "--http-port", Integer.toString(busy.getLocalPort()));

      assertEquals(1, status);
      assertTrue(err().startsWith("pushline-demo: cannot start: cannot serve the page on 127.0.0.1:"), err());
    }
  }

  private int run(String... args) {
    return LogTailDemo.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }
}
