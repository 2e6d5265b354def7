package io.resiliencekit.retry;

/**
 * How randomness spreads retries apart, after the AWS Architecture Blog analysis
 * "Exponential Backoff And Jitter". With {@code e = min(cap, base * multiplier^(n-1))} for retry n:
 * <ul>
 *   <li>{@link #NONE}: {@code e} - clients that failed together retry together;</li>
 *   <li>{@link #FULL}: {@code U(0, e)} - least total work, the usual choice;</li>
 *   <li>{@link #EQUAL}: {@code e/2 + U(0, e/2)} - never retries too soon;</li>
 *   <li>{@link #DECORRELATED}: {@code min(cap, U(base, 3 * previous))}, previous starting at base.</li>
 * </ul>
 */
public enum Jitter {
    NONE,
    FULL,
    EQUAL,
    DECORRELATED
}
