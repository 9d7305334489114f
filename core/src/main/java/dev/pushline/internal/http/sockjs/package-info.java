/**
 * The SockJS 0.3 endpoint of the HTTP side: {@link dev.pushline.internal.http.sockjs.SockJsFeature} serves one
 * path prefix, and each SockJS session it opens is a {@link dev.pushline.transport.TransportConnection} that
 * carries whatever protocol the feature's opener puts on it (native v1 at {@code /sockjs}). Not API: types
 * here are public only so that {@code dev.pushline} can reach them, and may change in any release.
 */
package dev.pushline.internal.http.sockjs;
