package dev.pushline.internal.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Serves one file of the browser client from the jar: {@code /pushline.js} (the ES module),
 * {@code /pushline.global.js} (the classic-script build, made here from the module) or
 * {@code /pushline.d.ts} (its TypeScript declarations). The files are static, so any origin may load
 * them ({@code Access-Control-Allow-Origin: *}, which a cross-origin {@code <script type="module">}
 * needs); {@code Cache-Control: no-cache} with an {@code ETag} of the content lets browsers keep a copy
 * and revalidate it (304) on each load, so a new server version is picked up at once.
 *
 * <p>Immutable; thread-safe.
 */
public final class ScriptFeature implements HttpFeature {

  private static final String RESOURCES = "/dev/pushline/js/";
  private static final String JAVASCRIPT = "text/javascript; charset=utf-8";

  private final String path;
  private final byte[] body;
  private final String contentType;
  private final String etag;

  ScriptFeature(String path, String text, String contentType) {
    this.path = path;
    this.body = text.getBytes(StandardCharsets.UTF_8);
    this.contentType = contentType;
    this.etag = '"' + sha256(body).substring(0, 32) + '"';
  }

  /** The three files, each a feature of its own (a feature serves one path prefix). */
  public static List<HttpFeature> all() {
    String module = resource("pushline.js");
    return List.of(
        new ScriptFeature("/pushline.js", module, JAVASCRIPT),
        new ScriptFeature("/pushline.global.js", classic(module), JAVASCRIPT),
        new ScriptFeature("/pushline.d.ts", resource("pushline.d.ts"), "text/plain; charset=utf-8"));
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      var headers = exchange.getResponseHeaders();
      headers.set("Access-Control-Allow-Origin", "*");
      if (!exchange.getRequestURI().getRawPath().equals(path)) {
        HttpSide.sendJson(exchange, 404, HttpSide.error("not_found", "nothing is served at "
            + exchange.getRequestURI().getRawPath()));
        return;
      }
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        headers.set("Allow", "GET, HEAD");
        HttpSide.sendJson(exchange, 405, HttpSide.error("method_not_allowed", method + " is not allowed; use GET"));
        return;
      }
      headers.set("ETag", etag);
      headers.set("Cache-Control", "no-cache");
      if (matches(exchange.getRequestHeaders().get("If-None-Match"))) {
        exchange.sendResponseHeaders(304, -1);
        return;
      }
      headers.set("Content-Type", contentType);
      headers.set("X-Content-Type-Options", "nosniff");
      if (method.equals("HEAD")) {
        headers.set("Content-Length", Integer.toString(body.length));
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  /** Whether an If-None-Match header names this content (weak comparison, as RFC 9110 asks for it). */
  private boolean matches(List<String> ifNoneMatch) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String value : ifNoneMatch) {
      for (String tag : value.split(",")) {
        String t = tag.trim();
        if (t.startsWith("W/")) {
          t = t.substring(2);
        }
        if (t.equals("*") || t.equals(etag)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The classic-script build: the module's text in a function that sets {@code globalThis.Pushline}
   * (with {@code Pushline.PushlineError}). The module keeps {@code export} to lines that start with
   * {@code export class}, {@code export function} or {@code export const}, and its last line
   * {@code export default Pushline;}: this drops those keywords and that line.
   */
  static String classic(String module) {
    StringBuilder out = new StringBuilder()
        .append("// pushline.global.js: pushline.js as a classic script, made by the server from the module.\n")
        .append("// <script src=\".../pushline.global.js\"></script> defines Pushline (Pushline.PushlineError too).\n")
        .append("(function (global) {\n'use strict';\n");
    for (String line : module.split("\n", -1)) {
      if (line.equals("export default Pushline;")) {
        continue;
      }
      if (line.startsWith("export class ") || line.startsWith("export function ") || line.startsWith("export const ")) {
        line = line.substring("export ".length());
      } else if (line.startsWith("export") || line.startsWith("import ")) {
        throw new IllegalStateException("pushline.js has a line the classic build cannot convert: " + line);
      }
      out.append(line).append('\n');
    }
    return out.append("Pushline.PushlineError = PushlineError;\nglobal.Pushline = Pushline;\n")
        .append("})(typeof globalThis !== 'undefined' ? globalThis : self);\n").toString();
  }

  private static String resource(String name) {
    try (InputStream in = ScriptFeature.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCES + name + " is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCES + name, e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
