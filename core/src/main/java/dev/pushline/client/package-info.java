/**
 * The Java client of Pushline: {@link dev.pushline.client.PushClient} speaks wire protocol v1 over
 * {@code java.net.http}'s WebSocket, with the same words as the server ({@link dev.pushline.Publication},
 * {@link dev.pushline.PushException}, {@link dev.pushline.CloseCodes}).
 *
 * <p>Only {@code PushClient} and its nested types are API; everything else here is package-private.
 */
package dev.pushline.client;
