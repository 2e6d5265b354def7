package io.resiliencekit.spi;

/** The authority could not answer (unreachable, timed out, failed). Never carries secrets. */
public class TokenAuthorityException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TokenAuthorityException(String message, Throwable cause) {
        super(message, cause);
    }

    public TokenAuthorityException(String message) {
        super(message);
    }
}
