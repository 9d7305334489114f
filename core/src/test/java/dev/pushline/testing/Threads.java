package dev.pushline.testing;

import java.util.Set;
import java.util.TreeSet;

/** Which threads Pushline and its transport start, to check that closing a server ends them. */
public final class Threads {

  private Threads() {}

  /** Names of live threads that a server may have started. */
  public static Set<String> serverThreads() {
    Set<String> names = new TreeSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String n = t.getName();
      if (t.isAlive() && (n.startsWith("WebSocketSelector") || n.startsWith("WebSocketWorker")
          || n.startsWith("connectionLostChecker") || n.startsWith("pushline-"))) {
        names.add(n + "#" + t.getId());
      }
    }
    return names;
  }
}
