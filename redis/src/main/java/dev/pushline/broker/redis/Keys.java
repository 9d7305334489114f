package dev.pushline.broker.redis;

/**
 * The Redis names of one broker's data. Every key of a channel carries the channel in a Redis Cluster hash
 * tag ({@code {channel}}) so that one script's keys share a slot; the prefix may not contain braces, so
 * the tag is always the channel.
 *
 * <pre>
 *   {prefix}.meta.{channel}             hash: offset, epoch            (expires metaTtl after last use)
 *   {prefix}.stream.{channel}           list: history, oldest first    (expires historyTtl after last publish)
 *   {prefix}.presence.{channel}         hash: clientId -&gt; ClientInfo JSON
 *   {prefix}.presence-expiry.{channel}  sorted set: clientId -&gt; expiry (ms)
 *   {prefix}.ch.channel                 pub/sub channel: publications, joins and leaves
 * </pre>
 *
 * <p>Immutable; thread-safe.
 */
record Keys(String prefix) {

  String meta(String channel) {
    return prefix + ".meta.{" + channel + "}";
  }

  String stream(String channel) {
    return prefix + ".stream.{" + channel + "}";
  }

  String presence(String channel) {
    return prefix + ".presence.{" + channel + "}";
  }

  String presenceExpiry(String channel) {
    return prefix + ".presence-expiry.{" + channel + "}";
  }

  String pubSub(String channel) {
    return prefix + ".ch." + channel;
  }

  /** The channel whose pub/sub channel is {@code pubSubChannel}, or null if it is not one of ours. */
  String channelOf(String pubSubChannel) {
    String head = prefix + ".ch.";
    return pubSubChannel.startsWith(head) ? pubSubChannel.substring(head.length()) : null;
  }
}
