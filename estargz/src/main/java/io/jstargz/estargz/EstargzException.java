package io.jstargz.estargz;

import java.io.IOException;

/** Base of every error this library raises about the content of a blob or a layer tar (as opposed to plain I/O). */
public abstract class EstargzException extends IOException {
    private static final long serialVersionUID = 1L;

    protected EstargzException(String message) {
        super(message);
    }

    protected EstargzException(String message, Throwable cause) {
        super(message, cause);
    }
}
