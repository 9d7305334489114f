package dev.pushline.internal;

import com.google.gson.JsonIOException;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * Writes one compact JSON object with Gson's streaming writer: no HTML escaping, nulls kept. Shared by the
 * server's codec and the Java client. Not API.
 *
 * <p>Thread-safe.
 */
public final class JsonObjects {

  /** Writes the fields of one object. */
  @FunctionalInterface
  public interface Fields {
    void write(JsonWriter writer) throws IOException;
  }

  private JsonObjects() {}

  /** The object whose fields {@code fields} writes, as text. */
  public static String write(Fields fields) {
    StringWriter out = new StringWriter(128);
    try (JsonWriter w = new JsonWriter(out)) {
      w.setHtmlSafe(false);
      w.setSerializeNulls(true);
      w.beginObject();
      fields.write(w);
      w.endObject();
    } catch (IOException | JsonIOException e) {
      throw new UncheckedIOException(new IOException("cannot write a JSON object", e));
    }
    return out.toString();
  }
}
