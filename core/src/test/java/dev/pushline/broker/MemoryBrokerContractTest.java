package dev.pushline.broker;

/** The broker contract, run against {@link MemoryBroker} on the system clock. */
class MemoryBrokerContractTest extends BrokerContractTest {

  @Override
  protected Broker newBroker() {
    return new MemoryBroker();
  }
}
