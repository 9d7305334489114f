package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.examples.DemoCommandLineContract;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** {@link LogTailDemo#run}: what the command line prints and the exit status, for the cases that end. */
class LogTailDemoTest extends DemoCommandLineContract {

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

  @Override
  protected int launch(String[] args, PrintStream out, PrintStream err) {
    return LogTailDemo.run(args, out, err);
  }

  @Override
  protected String program() {
    return "pushline-demo";
  }
}
