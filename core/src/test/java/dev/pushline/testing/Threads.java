package dev.pushline.testing;

import java.util.Set;
import java.util.TreeSet;

/** Which threads Pushline and its transport start, to check that closing a server ends them. */
public final class Threads {

  private Threads() {}

  /** Threads alive now that a server may have started and that were not in {@code before}. */
  public static Set<String> startedSince(Set<String> before) {
    Set<String> now = serverThreads();
    now.removeAll(before);
    return now;
  }

  /** Names of live threads that a server may have started. */
  public static Set<String> serverThreads() {
    Set<String> names = new TreeSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String n = t.getName();
      if (t.isAlive() && (n.startsWith("WebSocketSelector") || n.startsWith("WebSocketWorker")
          || n.startsWith("connectionLostChecker") || (n.startsWith("pushline-") && !n.startsWith("pushline-client")))) {
        names.add(n + "#" + t.getId());
      }
    }
    return names;
  }
}
