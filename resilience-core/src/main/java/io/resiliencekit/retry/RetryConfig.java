package io.resiliencekit.retry;

import java.io.Serializable;

/** Work in progress. */
public final class RetryConfig implements Serializable {
    private static final long serialVersionUID = 1L;
}
