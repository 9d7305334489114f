/**
 * Pushline's API: start a {@link dev.pushline.PushServer} inside your application, publish to
 * {@link dev.pushline.Channel}s, and every {@link dev.pushline.Subscriber} of a channel receives its
 * {@link dev.pushline.Publication}s in offset order.
 *
 * <p>Everything under {@code dev.pushline.internal} is the engine, not API: it may change in any release.
 */
package dev.pushline;
