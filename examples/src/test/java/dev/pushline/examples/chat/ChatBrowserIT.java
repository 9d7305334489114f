package dev.pushline.examples.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.examples.e2e.Browser;
import dev.pushline.examples.logtail.DemoOptions;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chat page in headless Chromium against the whole demo on real sockets (both ports 0): users log in,
 * see each other in the room, exchange messages, a newcomer gets the recent ones from history, a page that
 * leaves drops out of the others' lists, a page whose connection the server cuts comes back with nothing
 * missed and nothing twice, a page whose token expires logs in again and keeps its connection, and after a
 * restart (a new token secret, a new stream) a page logs in again and says messages may be missing.
 *
 * <h2>The page's DOM contract</h2>
 * The test reads and drives the page only through these:
 * <ul>
 *   <li>{@value #LOGIN_NAME} (the login form's input; Enter submits) and {@value #LOGIN_ERROR};
 *   <li>{@value #STATUS} with {@code data-state}: {@code connected} once the page is in its room (also
 *       {@code logged-out}, {@code connecting}, {@code reconnecting}, {@code offline});
 *   <li>{@value #USERS}: one {@code li} per user in the room, with {@code data-user};
 *   <li>{@value #MESSAGES}: one row per message, in order, with {@code data-user} and a {@code .msg-text}
 *       child; other rows are {@code .marker}s with {@code data-kind}: {@code reconnected} (resumed, nothing
 *       missed) or {@code gap} (messages may be missing);
 *   <li>{@value #MESSAGE} (the input; Enter sends) and {@value #ERROR} with {@code data-code};
 *   <li>{@code [data-part="rooms"] [data-room="<name>"]} buttons, {@code aria-pressed} on the room shown.
 * </ul>
 * Every wait is bounded; nothing sleeps. Screenshots: {@code target/screenshots/ChatBrowserIT-*.png}.
 */
class ChatBrowserIT {

  static final String LOGIN_NAME = "[data-part=\"login-name\"]";
  static final String LOGIN_ERROR = "[data-part=\"login-error\"]";
  static final String STATUS = "[data-part=\"status\"]";
  static final String USERS = "[data-part=\"presence\"] li";
  static final String MESSAGES = "[data-part=\"messages\"] .msg";
  static final String MESSAGE = "[data-part=\"message\"]";
  static final String ERROR = "[data-part=\"error\"]";

  private static final String CONNECTED = STATUS + "[data-state=\"connected\"]";

  /** The users listed, in page order. */
  private static final String USERS_SHOWN = "(selector) => [...document.querySelectorAll(selector)]"
      + ".map((li) => li.dataset.user)";

  /** The messages shown, each as "user: text". */
  private static final String MESSAGES_SHOWN = "(selector) => [...document.querySelectorAll(selector)]"
      + ".map((m) => m.dataset.user + ': ' + m.querySelector('.msg-text').textContent)";

  private static Browser browser;

  private ChatDemo demo;
  private final List<Browser.Page> pages = new ArrayList<>();

  @BeforeAll
  static void launchBrowser() throws IOException {
    browser = Browser.launch();
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  @AfterEach
  void tearDown() {
    try {
      for (Browser.Page page : pages) {
        page.close();
      }
    } finally {
      if (demo != null) {
        demo.close();
      }
    }
  }

  @Test
  void twoUsersSeeEachOtherAndTalkANewcomerGetsTheHistoryAndALeaverDropsOut() throws Exception {
    demo = ChatDemo.start(DemoOptions.parse("--port", "0", "--http-port", "0"));
    Browser.Page alice = logIn("alice");
    Browser.Page bob = logIn("bob");
    awaitUsers(alice, "alice", "bob");
    awaitUsers(bob, "alice", "bob");

    send(alice, "hello bob");
    awaitMessages(bob, "alice: hello bob");
    send(bob, "hi alice <b>not bold</b>");
    awaitMessages(alice, "alice: hello bob", "bob: hi alice <b>not bold</b>");
    awaitMessages(bob, "alice: hello bob", "bob: hi alice <b>not bold</b>");
    alice.screenshot("ChatBrowserIT-alice");
    bob.screenshot("ChatBrowserIT-bob");

    Browser.Page carol = logIn("carol");
    awaitMessages(carol, "alice: hello bob", "bob: hi alice <b>not bold</b>");
    awaitUsers(carol, "alice", "bob", "carol");
    awaitUsers(alice, "alice", "bob", "carol");
    carol.screenshot("ChatBrowserIT-history");

    close(bob);
    awaitUsers(alice, "alice", "carol");
    awaitUsers(carol, "alice", "carol");
    alice.screenshot("ChatBrowserIT-bob-left");

    assertEquals(List.of("alice: hello bob", "bob: hi alice <b>not bold</b>"), serverHistory("lobby"));
    for (Browser.Page page : pages) {
      assertEquals(List.of(), page.errors(), "uncaught errors in " + page);
    }
  }

  @Test
  void aPageWhoseConnectionTheServerCutsComesBackWithEveryMessageOnce() throws Exception {
    demo = ChatDemo.start(DemoOptions.parse("--port", "0", "--http-port", "0"));
    Browser.Page alice = logIn("alice");
    Browser.Page bob = logIn("bob");
    awaitUsers(alice, "alice", "bob");
    send(alice, "one");
    send(bob, "two");
    awaitMessages(alice, "alice: one", "bob: two");

    ClientConnection aliceConnection = demo.pushServer().connections().stream()
        .filter(c -> c.principal().userId().equals("alice"))
        .findFirst().orElseThrow();
    aliceConnection.close(CloseCodes.RECONNECT, "e2e test: cut by the server");
    awaitTrue(() -> !aliceConnection.isOpen(), Duration.ofSeconds(10), "the server to see alice's connection closed");
    // Whether alice's page is back already or not (pushline.js waits a random 0-500 ms), it must show this
    // once: replayed from history on resume, or live.
    send(bob, "three, while alice was cut off");

    awaitMessages(alice, "alice: one", "bob: two", "bob: three, while alice was cut off");
    alice.waitForSelector(CONNECTED);
    awaitUsers(alice, "alice", "bob");
    awaitUsers(bob, "alice", "bob");
    send(alice, "four, after the reconnect");
    awaitMessages(bob, "alice: one", "bob: two", "bob: three, while alice was cut off",
        "alice: four, after the reconnect");
    awaitMessages(alice, "alice: one", "bob: two", "bob: three, while alice was cut off",
        "alice: four, after the reconnect");
    alice.screenshot("ChatBrowserIT-reconnected");

    assertEquals(List.of("reconnected"), markers(alice), "resumed with nothing missed");
    assertEquals(2, demo.pushServer().connections().size(), "alice's new connection and bob's");
    assertEquals(List.of(), alice.errors(), "uncaught errors in alice's page");
    assertEquals(List.of(), bob.errors(), "uncaught errors in bob's page");
  }

  @Test
  void afterARestartThePageLogsInAgainAndSaysThatMessagesMayBeMissing() throws Exception {
    demo = ChatDemo.start(DemoOptions.parse("--port", "0", "--http-port", "0"));
    Browser.Page alice = logIn("alice");
    send(alice, "before the restart");
    awaitMessages(alice, "alice: before the restart");

    // The same ports (the page keeps them), a new secret (alice's token is refused) and a new stream
    // (a new epoch: nothing to resume from).
    int port = demo.webSocketUri().getPort();
    int httpPort = demo.pageUri().getPort();
    demo.close();
    demo = null;
    demo = ChatDemo.start(DemoOptions.parse("--port", String.valueOf(port), "--http-port",
        String.valueOf(httpPort)));

    alice.waitForSelector("[data-part=\"messages\"] .marker[data-kind=\"gap\"]");
    alice.waitForSelector(CONNECTED);
    awaitMessages(alice);
    awaitUsers(alice, "alice");
    send(alice, "after the restart");
    awaitMessages(alice, "alice: after the restart");
    alice.screenshot("ChatBrowserIT-restarted");

    assertEquals(List.of("gap"), markers(alice));
    assertEquals(List.of("alice: after the restart"), serverHistory("lobby"));
    assertEquals(List.of(), alice.errors(), "uncaught errors in the page");
  }

  @Test
  void aPageWhoseTokenExpiresGetsANewOneAndKeepsItsConnection() throws Exception {
    // Tokens dated so that the push server (on the system clock) sees them expire 2 s after they are
    // issued: exp plus the authenticator's 30 s skew is 2 s ahead. The page's token function finds each
    // one too close to expiry and logs in again, and pushline.js sends it as a refresh.
    Clock behind = Clock.offset(Clock.systemUTC(), TokenIssuer.TOKEN_TTL.plusSeconds(30 - 2).negated());
    demo = ChatDemo.start(DemoOptions.parse("--port", "0", "--http-port", "0"), behind);
    Browser.Page alice = logIn("alice");
    ClientConnection connection = demo.pushServer().connections().get(0);
    long issued = demo.tokensIssued();

    awaitTrue(() -> demo.tokensIssued() >= issued + 2, Duration.ofSeconds(15), "two renewals of alice's token");
    send(alice, "still here");
    awaitMessages(alice, "alice: still here");

    assertTrue(connection.isOpen(), "the same connection all along, refreshed rather than closed with 3003");
    assertEquals(List.of(connection), demo.pushServer().connections());
    alice.waitForSelector(CONNECTED);
    assertEquals(List.of(), markers(alice), "no reconnect");
    assertEquals(List.of(), alice.errors(), "uncaught errors in the page");
  }

  @Test
  void thePageExplainsARefusedNameAndATooLongMessageAndSwitchesRooms() throws Exception {
    demo = ChatDemo.start(DemoOptions.parse("--port", "0", "--http-port", "0"));
    Browser.Page page = open("dave");
    page.fill(LOGIN_NAME, "dave smith");
    page.press(LOGIN_NAME, "Enter");
    page.waitForSelector(LOGIN_ERROR);
    assertTrue(page.texts(LOGIN_ERROR).get(0).contains("user name"), page.texts(LOGIN_ERROR).toString());
    page.fill(LOGIN_NAME, "dave");
    page.press(LOGIN_NAME, "Enter");
    page.waitForSelector(CONNECTED);

    String tooLong = "x".repeat(RoomAuthorizer.MAX_TEXT_CHARS + 1);
    page.fill(MESSAGE, tooLong);
    page.press(MESSAGE, "Enter");
    page.waitForSelector(ERROR + "[data-code=\"message_too_long\"]");
    assertTrue(page.texts(ERROR).get(0).contains("the limit is 500"), page.texts(ERROR).toString());
    assertEquals(tooLong, page.evaluate("(selector) => document.querySelector(selector).value", MESSAGE)
        .getAsString(), "the text stays, to be shortened");
    page.screenshot("ChatBrowserIT-errors");

    // A text the page lets through and the server refuses: U+001F is blank to Java's strip(), not to
    // JavaScript's trim(), so the server finds the message empty.
    page.fill(MESSAGE, "\u001f");
    page.press(MESSAGE, "Enter");
    page.waitForSelector(ERROR + "[data-code=\"forbidden\"]");
    assertTrue(page.texts(ERROR).get(0).contains("refused by the server"), page.texts(ERROR).toString());
    send(page, "short enough");
    awaitMessages(page, "dave: short enough");
    page.waitForSelector(ERROR, "hidden", Duration.ofSeconds(10));

    page.click("[data-part=\"rooms\"] [data-room=\"dev\"]");
    page.waitForSelector("[data-room=\"dev\"][aria-pressed=\"true\"]");
    page.waitForSelector(CONNECTED);
    awaitMessages(page);
    awaitUsers(page, "dave");
    send(page, "in dev");
    awaitMessages(page, "dave: in dev");
    page.click("[data-part=\"rooms\"] [data-room=\"lobby\"]");
    page.waitForSelector(CONNECTED);
    awaitMessages(page, "dave: short enough");
    page.screenshot("ChatBrowserIT-rooms");

    assertEquals(List.of("dave: short enough"), serverHistory("lobby"));
    assertEquals(List.of("dave: in dev"), serverHistory("dev"));
    assertEquals(List.of(), page.errors(), "uncaught errors in the page");
  }

  // --- the page ----------------------------------------------------------------------------------

  private Browser.Page open(String name) {
    Browser.Page page = browser.open(name, demo.pageUri());
    pages.add(page);
    return page;
  }

  /** Opens a page, logs in as {@code user} and waits until it is in the first room. */
  private Browser.Page logIn(String user) {
    Browser.Page page = open(user);
    page.fill(LOGIN_NAME, user);
    page.press(LOGIN_NAME, "Enter");
    page.waitForSelector(CONNECTED);
    return page;
  }

  private void close(Browser.Page page) {
    page.close();
    pages.remove(page);
  }

  private static void send(Browser.Page page, String text) {
    page.fill(MESSAGE, text);
    page.press(MESSAGE, "Enter");
  }

  private static void awaitUsers(Browser.Page page, String... users) {
    awaitShown(page, USERS_SHOWN, USERS, List.of(users), "users");
  }

  private static void awaitMessages(Browser.Page page, String... messages) {
    awaitShown(page, MESSAGES_SHOWN, MESSAGES, List.of(messages), "messages");
  }

  /** Waits until {@code read(selector)} in the page equals {@code expected}; on failure says what it was. */
  private static void awaitShown(Browser.Page page, String read, String selector, List<String> expected,
      String what) {
    try {
      page.waitFor("({ selector, expected }) => JSON.stringify((" + read + ")(selector))"
          + " === JSON.stringify(expected)", new Shown(selector, expected), Duration.ofSeconds(10),
          page + " to show exactly these " + what + ": " + expected);
    } catch (AssertionError e) {
      throw new AssertionError(page + " shows these " + what + ": " + page.evaluate(read, selector) + "\n"
          + e.getMessage(), e);
    }
  }

  /** The {@code data-kind} of each marker row (reconnected, gap) the page shows. */
  private static List<String> markers(Browser.Page page) {
    List<String> kinds = new ArrayList<>();
    page.evaluate("() => [...document.querySelectorAll('[data-part=\"messages\"] .marker')].map((m) => m.dataset.kind)",
        null).getAsJsonArray().forEach(e -> kinds.add(e.getAsString()));
    return kinds;
  }

  /** What {@link #awaitShown} gives the page: a selector, and the strings expected of what it selects. */
  private record Shown(String selector, List<String> expected) { }

  // --- the server --------------------------------------------------------------------------------

  private List<String> serverHistory(String room) {
    return demo.room(room).history().stream()
        .map(p -> p.data().getAsJsonObject())
        .map(data -> data.get("user").getAsString() + ": " + data.get("text").getAsString())
        .toList();
  }

  private static void awaitTrue(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("waited " + timeout.toMillis() + " ms for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }
}
