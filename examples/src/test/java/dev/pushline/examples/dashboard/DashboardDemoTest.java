package dev.pushline.examples.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link DashboardDemo#run}: what the command line prints and the exit status, for the cases that end. */
class DashboardDemoTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void helpPrintsUsageAndExitsWith0() {
    int status = run("--help");

    assertEquals(0, status);
    assertTrue(out().startsWith("Usage: java -cp examples/target/pushline-demo.jar "
        + "dev.pushline.examples.dashboard.DashboardDemo [options]"), out());
    for (String option : new String[] {"--host", "--port", "--http-port", "--help"}) {
      assertTrue(out().contains(option), "usage lacks " + option);
    }
    assertEquals("", err());
  }

  @Test
  void anArgumentThatIsNoOptionPrintsTheProblemAndUsageAndExitsWith2() {
    int status = run("--port", "0", "app.log");

    assertEquals(2, status);
    assertEquals("", out());
    assertTrue(err().startsWith("pushline-dashboard: unexpected argument \"app.log\"; this demo takes options only"),
        err());
    assertTrue(err().contains("Usage: "), err());
  }

  @Test
  void aBusyWebSocketPortExitsWith1() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int status = run("--port", Integer.toString(busy.getLocalPort()), "--http-port", "0");

      assertEquals(1, status);
      assertTrue(err().startsWith("pushline-dashboard: cannot start: "), err());
      assertTrue(err().contains(Integer.toString(busy.getLocalPort())), err());
    }
  }

  @Test
  void aBusyPagePortExitsWith1() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int status = run("--port", "0", "--http-port", Integer.toString(busy.getLocalPort()));

      assertEquals(1, status);
      assertTrue(err().startsWith("pushline-dashboard: cannot start: cannot serve the page on 127.0.0.1:"), err());
    }
  }

  private int run(String... args) {
    return DashboardDemo.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }
}
