package dev.pushline.internal;

/** The naming rules of protocol v1. */
final class Names {

  static final int MAX_CHANNEL_LENGTH = 255;
  static final int MAX_EVENT_LENGTH = 255;

  private Names() {}

  /** Null when {@code name} is a valid channel name, else why not. */
  static String channelProblem(String name) {
    if (name.isEmpty()) {
      return "channel name is empty";
    }
    if (name.length() > MAX_CHANNEL_LENGTH) {
      return "channel name is " + name.length() + " chars; the limit is " + MAX_CHANNEL_LENGTH;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "_-.:@/=$~+".indexOf(c) >= 0;
      if (!ok) {
        return "channel name has '" + printable(c) + "' at index " + i
            + "; allowed are letters, digits and _ - . : @ / = $ ~ +";
      }
    }
    return null;
  }

  /** Null when {@code event} is a valid event name, else why not. */
  static String eventProblem(String event) {
    if (event.isEmpty()) {
      return "event is empty";
    }
    if (event.length() > MAX_EVENT_LENGTH) {
      return "event is " + event.length() + " chars; the limit is " + MAX_EVENT_LENGTH;
    }
    return null;
  }

  static String requireChannel(String name) {
    if (name == null) {
      throw new NullPointerException("channel name");
    }
    String problem = channelProblem(name);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return name;
  }

  static String requireEvent(String event) {
    if (event == null) {
      throw new NullPointerException("event");
    }
    String problem = eventProblem(event);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return event;
  }

  /** Shortens a client-supplied string for an error message or a log line. */
  static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...(" + s.length() + " chars)";
  }

  private static String printable(char c) {
    return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
  }
}
