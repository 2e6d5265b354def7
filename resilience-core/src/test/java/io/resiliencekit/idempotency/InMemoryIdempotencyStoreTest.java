package io.resiliencekit.idempotency;

import io.resiliencekit.spi.IdempotencyStore;

import io.resiliencekit.time.ManualTicker;
import java.time.Duration;

class InMemoryIdempotencyStoreTest extends IdempotencyStoreContract {
    @Override
    protected IdempotencyStore newStore(ManualTicker ticker, Duration ttl) {
        return InMemoryIdempotencyStore.builder().ticker(ticker).ttl(ttl).maximumSize(10_000).build();
    }
}
