/**
 * The broker SPI: what the nodes of one deployment share — each channel's stream (offsets, epoch,
 * history), the delivery of publications to every node with subscribers, and presence.
 *
 * <p>A server uses one {@link dev.pushline.broker.Broker}. {@link dev.pushline.broker.MemoryBroker}, the
 * default, keeps everything in this JVM and serves a single node; a Redis broker ({@code pushline-redis})
 * serves many. An implementation proves itself by passing the contract test
 * {@code dev.pushline.broker.BrokerContractTest} from {@code pushline-core}'s test jar.
 */
package dev.pushline.broker;
