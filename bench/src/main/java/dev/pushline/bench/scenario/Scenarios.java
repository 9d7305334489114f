package dev.pushline.bench.scenario;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The scenarios beyond plain fan-out (issue 8): {@code Scenarios <channels|churn|storm> [--quick]
 * [--option value ...]}. Each starts a {@link ScenarioServer} in a JVM of its own (so heap, CPU time and
 * file descriptors are the server's alone), drives it with real WebSocket clients over loopback from this
 * JVM, prints a Markdown table of its results to stdout, and exits 1 if one of its checks failed. Every
 * phase is bounded in count and in time.
 *
 * <ul>
 *   <li>{@link ChannelsScenario channels}: many personal channels with few subscribers each;
 *   <li>{@link ChurnScenario churn}: connect, subscribe, receive, disconnect at a steady rate for minutes,
 *       server heap and descriptors before, during and after;
 *   <li>{@link StormScenario storm}: a thousand clients kicked at once, all resuming with {@code since}.
 * </ul>
 *
 * Options common to all: {@code --server-jvm "-Xmx1g"} (the server JVM's options), {@code --quick}
 * (shorter durations, same shape). The others are listed in each scenario's Javadoc and in
 * {@code bench/scenarios.sh}.
 */
public final class Scenarios {

  private Scenarios() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: Scenarios <channels|churn|storm> [--quick] [--option value ...]");
      System.exit(2);
    }
    Options o = new Options(args, 1);
    Path dir = Path.of(System.getProperty("scenario.dir", "target/scenarios"));
    Report report = switch (args[0]) {
      case "channels" -> ChannelsScenario.run(o, dir);
      case "churn" -> ChurnScenario.run(o, dir);
      case "storm" -> StormScenario.run(o, dir);
      default -> throw new IllegalArgumentException("scenario is \"" + args[0] + "\"; it must be one of "
          + Arrays.asList("channels", "churn", "storm"));
    };
    report.print(System.out);
    System.exit(report.passed() ? 0 : 1);
  }

  /** An HttpClient for raw load clients: HTTP/1.1, {@code threads} daemon threads. */
  static HttpClient httpClient(int threads) {
    ExecutorService executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "load-client");
      t.setDaemon(true);
      return t;
    });
    return HttpClient.newBuilder().executor(executor).version(HttpClient.Version.HTTP_1_1).build();
  }
}
