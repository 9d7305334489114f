package dev.pushline.examples.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.examples.DemoCommandLineContract;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** {@link DashboardDemo#run}: what the command line prints and the exit status, for the cases that end. */
class DashboardDemoTest extends DemoCommandLineContract {

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

  @Override
  protected int launch(String[] args, PrintStream out, PrintStream err) {
    return DashboardDemo.run(args, out, err);
  }

  @Override
  protected String program() {
    return "pushline-dashboard";
  }
}
