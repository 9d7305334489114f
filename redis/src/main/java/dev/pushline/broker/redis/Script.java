package dev.pushline.broker.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * One of the broker's Lua scripts (the {@code .lua} resources next to this class), run with EVALSHA and,
 * when Redis does not have it (it restarted, or {@code SCRIPT FLUSH}), once more with EVAL, which also
 * loads it.
 *
 * <p>Immutable; thread-safe.
 */
enum Script {
  PUBLISH("publish.lua", ScriptOutputType.MULTI),
  HISTORY("history.lua", ScriptOutputType.MULTI),
  PRESENCE_ADD("presence_add.lua", ScriptOutputType.INTEGER),
  PRESENCE_REMOVE("presence_remove.lua", ScriptOutputType.INTEGER),
  PRESENCE_LIST("presence_list.lua", ScriptOutputType.MULTI);

  private final String body;
  private final String sha;
  private final ScriptOutputType output;

  Script(String resource, ScriptOutputType output) {
    this.body = read(resource);
    this.sha = sha1(body);
    this.output = output;
  }

  /** Runs this script on {@code redis}; the stage fails as the command does (never with NOSCRIPT). */
  <T> CompletionStage<T> run(RedisAsyncCommands<String, String> redis, String[] keys, String... args) {
    CompletableFuture<T> first = redis.<T>evalsha(sha, output, keys, args).toCompletableFuture();
    return first.exceptionallyCompose(error -> isNoScript(error)
        ? redis.<T>eval(body, output, keys, args)
        : CompletableFuture.failedFuture(error));
  }

  String sha() {
    return sha;
  }

  String body() {
    return body;
  }

  private static boolean isNoScript(Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return e instanceof RedisNoScriptException
        || (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT"));
  }

  private static String read(String resource) {
    try (InputStream in = Script.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource + " next to " + Script.class.getName());
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  private static String sha1(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-1", e);
    }
  }
}
