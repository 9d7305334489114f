package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.examples.logtail.DemoOptions.UsageException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link DemoOptions#parse}: good arguments, and bad ones with the message the user sees. */
class DemoOptionsTest {

  @TempDir
  Path dir;

  @Test
  void noArgumentsGiveTheDefaults() throws UsageException {
    DemoOptions options = DemoOptions.parse();

    assertEquals(DemoOptions.defaults(), options);
    assertEquals("127.0.0.1", options.host());
    assertEquals(8025, options.port());
    assertEquals(8080, options.httpPort());
    assertNull(options.file());
    assertFalse(options.help());
  }

  @Test
  void readsEveryOptionAndTheFile() throws UsageException {
    DemoOptions options = DemoOptions.parse("--host", "0.0.0.0", "--port", "9000", "--http-port", "9001",
        "/var/log/app.log");

    assertEquals(new DemoOptions("0.0.0.0", 9000, 9001, Path.of("/var/log/app.log"), false), options);
  }

  @Test
  void acceptsNameEqualsValueAndOptionsAfterTheFile() throws UsageException {
    DemoOptions options = DemoOptions.parse("app.log", "--port=0", "--http-port=0", "--host=localhost");

    assertEquals(new DemoOptions("localhost", 0, 0, Path.of("app.log"), false), options);
  }

  @Test
  void portZeroForBothIsAllowed() throws UsageException {
    DemoOptions options = DemoOptions.parse("--port", "0", "--http-port", "0");

    assertEquals(0, options.port());
    assertEquals(0, options.httpPort());
  }

  @Test
  void doubleDashEndsTheOptions() throws UsageException {
    assertEquals(Path.of("--weird.log"), DemoOptions.parse("--", "--weird.log").file());
  }

  @Test
  void helpWinsOverEverythingElse() throws UsageException {
    assertTrue(DemoOptions.parse("--help").help());
    assertTrue(DemoOptions.parse("-h").help());
    assertTrue(DemoOptions.parse("--port", "1", "--help", "--bogus").help());
  }

  @Test
  void aMissingFileIsAllowedBecauseItIsWaitedFor() throws UsageException {
    Path missing = dir.resolve("not-yet.log");

    assertEquals(missing, DemoOptions.parse(missing.toString()).file());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "--bogus                        | unknown option --bogus",
    "-x                             | unknown option -x",
    "--port                         | --port needs a value",
    "--port --http-port 1           | --port needs a value",
    "--port abc                     | --port is \"abc\"; it must be a port number from 0 to 65535",
    "--port 65536                   | --port is 65536; it must be a port number from 0 to 65535",
    "--http-port -1                 | --http-port is -1; it must be a port number from 0 to 65535",
    "--port 8080                    | --port and --http-port are both 8080",
    "--host=                        | --host is \"\"; it must be a host name or an IP address",
    "a.log b.log                    | only one file can be followed; got \"a.log\" and \"b.log\"",
    "-                              | standard input is not supported",
  })
  void rejectsBadArgumentsWithAClearMessage(String args, String message) {
    UsageException e = assertThrows(UsageException.class, () -> DemoOptions.parse(args.split(" ")));

    assertTrue(e.getMessage().contains(message), "message: " + e.getMessage());
  }

  @Test
  void rejectsADirectory() {
    UsageException e = assertThrows(UsageException.class, () -> DemoOptions.parse(dir.toString()));

    assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
  }

  @Test
  void withoutFileTheSameOptionsParseAndAnArgumentIsRefused() throws UsageException {
    assertEquals(new DemoOptions("0.0.0.0", 0, 9001, null, false),
        DemoOptions.parseWithoutFile("--host", "0.0.0.0", "--port=0", "--http-port", "9001"));
    assertTrue(DemoOptions.parseWithoutFile("--help").help());

    UsageException e = assertThrows(UsageException.class, () -> DemoOptions.parseWithoutFile("--port", "0", "app.log"));
    assertEquals("unexpected argument \"app.log\"; this demo takes options only", e.getMessage());
  }

  @Test
  void usageNamesEveryOption() {
    String usage = DemoOptions.usage();

    for (String option : new String[] {"--host", "--port", "--http-port", "--help", "FILE", "0.0.0.0"}) {
      assertTrue(usage.contains(option), "usage lacks " + option);
    }
  }
}
