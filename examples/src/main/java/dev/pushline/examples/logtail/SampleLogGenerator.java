package dev.pushline.examples.logtail;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;

/**
 * Makes up the log of a small web shop, a few lines a second, for when the demo is given no file.
 *
 * <h2>What it writes</h2>
 * One entry per event, in Logback's default layout:
 * <pre>
 * 2025-11-25 17:18:03.123 INFO  [http-nio-8080-exec-3] com.example.shop.web.RequestLog - GET /api/orders/1042 200 12ms
 * </pre>
 * About 65% INFO (mostly HTTP requests with path, status and latency), 22% DEBUG, 9% WARN and 4% ERROR.
 * About half of the errors carry a stack trace, each of its lines a line of its own, as in a real log.
 * Events are about {@value #MEAN_INTERVAL_MILLIS} ms apart on average (randomly, so they come in small
 * bursts and pauses), which is roughly three entries a second.
 *
 * <h2>Time</h2>
 * Entries are stamped with, and released by, the injected {@link Clock}: {@link #poll()} returns the
 * entries whose time has come. After a long pause (a suspended laptop) it resumes from the present
 * instead of writing out everything it missed. With a fixed {@link Random} seed and a controlled clock
 * the output is reproducible.
 *
 * <p>Not thread-safe; confine to one thread.
 */
final class SampleLogGenerator implements LineSource {

  static final long MEAN_INTERVAL_MILLIS = 350;
  private static final long MIN_INTERVAL_MILLIS = 10;
  private static final long MAX_INTERVAL_MILLIS = 2_000;
  /** How far behind the clock the generator may fall before it skips ahead to the present. */
  private static final Duration MAX_BACKLOG = Duration.ofSeconds(10);

  private static final DateTimeFormatter TIMESTAMP_PATTERN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT);

  private static final String REQUEST_LOG = "com.example.shop.web.RequestLog";
  private static final String ERROR_HANDLER = "com.example.shop.web.ErrorHandler";
  private static final String ORDERS = "com.example.shop.order.OrderService";
  private static final String PAYMENTS = "com.example.shop.payment.PaymentClient";
  private static final String CACHE = "com.example.shop.catalog.ProductCache";
  private static final String AUTH = "com.example.shop.auth.LoginService";
  private static final String MAIL = "com.example.shop.mail.MailSender";
  private static final String EXPORT = "com.example.shop.jobs.InvoiceExportJob";
  private static final String SQL = "org.hibernate.SQL";
  private static final String POOL = "com.zaxxer.hikari.pool.HikariPool";
  private static final String LIMITER = "com.example.shop.web.RateLimiter";

  private static final String[] SEARCH_TERMS = {
    "usb-c+cable", "desk+lamp", "coffee", "headphones", "running+shoes", "notebook", "backpack"};
  private static final String[] USER_AGENTS = {
    "ShopApp/2.3.1 (Android 14)", "ShopApp/2.2.0 (iOS 17.4)", "curl/8.5.0", "python-requests/2.31.0"};

  private final Random random;
  private final Clock clock;
  private final DateTimeFormatter timestamps;
  private Instant next;

  /**
   * A generator whose first entry is due about one interval after the clock's current instant.
   *
   * @param random decides everything; pass a seeded one for reproducible output
   * @param clock stamps the entries (in the clock's zone) and decides when they are due
   */
  SampleLogGenerator(Random random, Clock clock) {
    this.random = Objects.requireNonNull(random, "random");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timestamps = TIMESTAMP_PATTERN.withZone(clock.getZone());
    this.next = clock.instant().plusMillis(interval());
  }

  @Override
  public List<String> poll() {
    Instant now = clock.instant();
    if (Duration.between(next, now).compareTo(MAX_BACKLOG) > 0) {
      next = now;
    }
    List<String> lines = new ArrayList<>();
    while (!next.isAfter(now)) {
      entry(next, lines);
      next = next.plusMillis(interval());
    }
    return lines;
  }

  @Override
  public String description() {
    return "generated sample log";
  }

  @Override
  public void close() {
    // Nothing to release: the generator holds no file or thread.
  }

  /** An exponentially distributed pause between events, clamped to a sensible range. */
  private long interval() {
    long millis = Math.round(-Math.log(1 - random.nextDouble()) * MEAN_INTERVAL_MILLIS);
    return Math.max(MIN_INTERVAL_MILLIS, Math.min(MAX_INTERVAL_MILLIS, millis));
  }

  /** Writes one event, its header line and any stack trace, to {@code out}. */
  private void entry(Instant at, List<String> out) {
    int roll = random.nextInt(100);
    if (roll < 4) {
      error(at, out);
    } else if (roll < 13) {
      warn(at, out);
    } else if (roll < 35) {
      debug(at, out);
    } else {
      info(at, out);
    }
  }

  private void info(Instant at, List<String> out) {
    int roll = random.nextInt(100);
    if (roll < 70) {
      request(at, out);
    } else if (roll < 80) {
      int items = 1 + random.nextInt(5);
      out.add(line(at, "INFO", httpThread(), ORDERS, String.format(Locale.ROOT,
          "Order %d placed by customer %d: %d item%s, total %d.%02d EUR", orderId(), customerId(), items,
          items == 1 ? "" : "s", 5 + random.nextInt(240), random.nextInt(100))));
    } else if (roll < 90) {
      out.add(line(at, "INFO", httpThread(), AUTH, String.format(Locale.ROOT,
          "User u-%d signed in from %s", 1000 + random.nextInt(9000), clientAddress())));
    } else if (roll < 95) {
      out.add(line(at, "INFO", "scheduling-1", CACHE, String.format(Locale.ROOT,
          "Product cache refreshed: %,d entries in %d ms", 11_000 + random.nextInt(2_000),
          40 + random.nextInt(120))));
    } else {
      out.add(line(at, "INFO", "scheduling-1", EXPORT, String.format(Locale.ROOT,
          "Exported %d invoices to the accounting system in %.1f s", 5 + random.nextInt(60),
          0.3 + random.nextDouble() * 2)));
    }
  }

  /** An access-log style request line; mostly successes, some client errors. */
  private void request(Instant at, List<String> out) {
    int roll = random.nextInt(100);
    String method;
    String path;
    int status;
    if (roll < 30) {
      method = "GET";
      path = "/api/products/" + productId();
      status = random.nextInt(20) == 0 ? 404 : 200;
    } else if (roll < 45) {
      method = "GET";
      path = "/api/products?category=" + (1 + random.nextInt(12)) + "&page=" + (1 + random.nextInt(5));
      status = 200;
    } else if (roll < 55) {
      method = "GET";
      path = "/api/search?q=" + pick(SEARCH_TERMS);
      status = 200;
    } else if (roll < 67) {
      method = "GET";
      path = "/api/cart";
      status = random.nextInt(15) == 0 ? 401 : 200;
    } else if (roll < 77) {
      method = "POST";
      path = "/api/cart/items";
      status = random.nextInt(12) == 0 ? 400 : 201;
    } else if (roll < 81) {
      method = "DELETE";
      path = "/api/cart/items/" + productId();
      status = 204;
    } else if (roll < 86) {
      method = "POST";
      path = "/api/orders";
      status = 201;
    } else if (roll < 91) {
      method = "GET";
      path = "/api/orders/" + orderId();
      status = random.nextInt(10) == 0 ? 403 : 200;
    } else if (roll < 94) {
      method = "POST";
      path = "/api/auth/login";
      status = random.nextInt(5) == 0 ? 401 : 200;
    } else {
      method = "GET";
      path = "/assets/app." + Integer.toHexString(0x1000000 + random.nextInt(0xEFFFFFF)) + ".js";
      status = 304;
    }
    out.add(line(at, "INFO", httpThread(), REQUEST_LOG,
        String.format(Locale.ROOT, "%s %s %d %dms", method, path, status, latencyMillis())));
  }

  private void debug(Instant at, List<String> out) {
    int roll = random.nextInt(100);
    if (roll < 40) {
      out.add(line(at, "DEBUG", httpThread(), SQL,
          "select p1_0.id,p1_0.name,p1_0.price,p1_0.stock from product p1_0 where p1_0.id=?"));
    } else if (roll < 70) {
      int id = productId();
      out.add(line(at, "DEBUG", httpThread(), CACHE, random.nextInt(4) == 0
          ? "Cache miss for product:" + id + ", loading it from the database"
          : "Cache hit for product:" + id));
    } else if (roll < 85) {
      int active = random.nextInt(8);
      out.add(line(at, "DEBUG", "HikariPool-1 housekeeper", POOL, String.format(Locale.ROOT,
          "HikariPool-1 - Pool stats (total=10, active=%d, idle=%d, waiting=0)", active, 10 - active)));
    } else {
      out.add(line(at, "DEBUG", httpThread(), PAYMENTS, String.format(Locale.ROOT,
          "POST https://payments.example.net/v2/charges -> 201 in %d ms", 80 + random.nextInt(400))));
    }
  }

  private void warn(Instant at, List<String> out) {
    int roll = random.nextInt(100);
    if (roll < 35) {
      out.add(line(at, "WARN", httpThread(), REQUEST_LOG, String.format(Locale.ROOT,
          "Slow request: GET /api/search?q=%s 200 %dms", pick(SEARCH_TERMS), 1_500 + random.nextInt(4_500))));
    } else if (roll < 55) {
      out.add(line(at, "WARN", httpThread(), PAYMENTS, String.format(Locale.ROOT,
          "Payment gateway did not answer within 5000 ms; retrying (attempt %d of 3)", 2 + random.nextInt(2))));
    } else if (roll < 75) {
      out.add(line(at, "WARN", httpThread(), LIMITER, String.format(Locale.ROOT,
          "Rate limit exceeded for %s: 429 Too Many Requests", clientAddress())));
    } else if (roll < 90) {
      out.add(line(at, "WARN", httpThread(), REQUEST_LOG, String.format(Locale.ROOT,
          "Deprecated endpoint /api/v1/cart called by \"%s\"", pick(USER_AGENTS))));
    } else {
      out.add(line(at, "WARN", "HikariPool-1 housekeeper", POOL,
          "HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=1m3s)."));
    }
  }

  private void error(Instant at, List<String> out) {
    boolean withTrace = random.nextBoolean();
    int roll = random.nextInt(3);
    if (roll == 0) {
      out.add(line(at, "ERROR", httpThread(), ERROR_HANDLER, String.format(Locale.ROOT,
          "POST /api/orders 500 %dms: payment for order %d failed", 5_000 + random.nextInt(400), orderId())));
      if (withTrace) {
        out.add("java.net.SocketTimeoutException: Read timed out");
        out.add("\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)");
        out.add("\tat java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:304)");
        out.add("\tat java.base/java.net.Socket$SocketInputStream.read(Socket.java:976)");
        out.add("\tat com.example.shop.payment.PaymentClient.charge(PaymentClient.java:118)");
        out.add("\tat com.example.shop.order.OrderService.placeOrder(OrderService.java:74)");
        out.add("\tat com.example.shop.web.OrderController.create(OrderController.java:41)");
        out.add("\t... 42 more");
      }
    } else if (roll == 1) {
      int order = orderId();
      out.add(line(at, "ERROR", "mail-sender-2", MAIL,
          "Could not send the confirmation mail for order " + order));
      if (withTrace) {
        out.add("com.example.shop.mail.MailDeliveryException: SMTP server rejected the message: 451 4.7.1 "
            + "Try again later");
        out.add("\tat com.example.shop.mail.SmtpMailSender.send(SmtpMailSender.java:63)");
        out.add("\tat com.example.shop.mail.MailSender.lambda$sendAsync$0(MailSender.java:38)");
        out.add("\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)");
        out.add("\tat java.base/java.lang.Thread.run(Thread.java:840)");
        out.add("Caused by: java.io.IOException: Connection reset by peer");
        out.add("\tat java.base/sun.nio.ch.SocketDispatcher.read0(Native Method)");
        out.add("\tat java.base/sun.nio.ch.SocketDispatcher.read(SocketDispatcher.java:47)");
        out.add("\t... 9 more");
      }
    } else {
      int cart = 5_000 + random.nextInt(5_000);
      out.add(line(at, "ERROR", httpThread(), ERROR_HANDLER, String.format(Locale.ROOT,
          "POST /api/cart/%d/checkout 500 %dms: unexpected error", cart, latencyMillis())));
      if (withTrace) {
        out.add("java.lang.IllegalStateException: Cart " + cart + " is already checked out");
        out.add("\tat com.example.shop.cart.CartService.checkout(CartService.java:142)");
        out.add("\tat com.example.shop.web.CartController.checkout(CartController.java:57)");
        out.add("\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke("
            + "DirectMethodHandleAccessor.java:103)");
        out.add("\t... 38 more");
      }
    }
  }

  private String line(Instant at, String level, String thread, String logger, String message) {
    return String.format(Locale.ROOT, "%s %-5s [%s] %s - %s", timestamps.format(at), level, thread, logger,
        message);
  }

  private String httpThread() {
    return "http-nio-8080-exec-" + (1 + random.nextInt(10));
  }

  /** A latency in ms, log-normal around 20 ms, as web request latencies tend to be. */
  private long latencyMillis() {
    return Math.max(1, Math.round(Math.exp(3.0 + 0.8 * random.nextGaussian())));
  }

  private int productId() {
    return 1_000 + random.nextInt(9_000);
  }

  private int orderId() {
    return 40_000 + random.nextInt(10_000);
  }

  private int customerId() {
    return 100 + random.nextInt(5_000);
  }

  /** An address from the documentation ranges (RFC 5737), so no real host is named. */
  private String clientAddress() {
    return (random.nextBoolean() ? "203.0.113." : "198.51.100.") + (1 + random.nextInt(254));
  }

  private String pick(String[] options) {
    return options[random.nextInt(options.length)];
  }
}
