/**
 * The engine: connections, channels, the protocol v1 codec and callback executors. Not API: types here
 * are public only so that {@code dev.pushline} can reach them, and may change in any release.
 */
package dev.pushline.internal;
