package io.jstargz.estargz;

/**
 * The input layer (tar or tar.gz) cannot be converted: it is not a valid tar, it has an entry type eStargz cannot
 * carry, or names that would make an unsafe or unreadable blob. The message names the entry and the tar offset.
 */
public final class InvalidLayerTarException extends EstargzException {
    private static final long serialVersionUID = 1L;

    public InvalidLayerTarException(String message) {
        super(message);
    }

    public InvalidLayerTarException(String message, Throwable cause) {
        super(message, cause);
    }
}
