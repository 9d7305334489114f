package dev.pushline.internal.http.api;

import com.google.gson.JsonObject;
import java.util.Map;

/**
 * A request the API refuses: the HTTP status, the stable error code and the message of the JSON error body
 * {@code {"error":{"code":..,"message":..}}}, and headers to send with it ({@code Allow},
 * {@code WWW-Authenticate}, {@code Retry-After}). Thrown while a request is being examined and answered by
 * {@link ApiFeature}; carries no stack trace, as it is an expected outcome.
 */
final class ApiError extends RuntimeException {

  final int status;
  final String code;
  final Map<String, String> headers;

  ApiError(int status, String code, String message) {
    this(status, code, message, Map.of());
  }

  ApiError(int status, String code, String message, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  static ApiError badRequest(String message) {
    return new ApiError(400, "bad_request", message);
  }

  /** The error body, with {@code extra}'s members beside {@code error} when it is not null. */
  static String body(String code, String message, JsonObject extra) {
    JsonObject error = new JsonObject();
    error.addProperty("code", code);
    error.addProperty("message", message);
    JsonObject body = new JsonObject();
    body.add("error", error);
    if (extra != null) {
      extra.entrySet().forEach(e -> body.add(e.getKey(), e.getValue()));
    }
    return body.toString();
  }
}
