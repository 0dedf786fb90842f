package io.jstargz.remote;

/** How a pushed blob came to be in the repository. */
public enum PushOutcome {
    /** It was there already; nothing was sent. */
    ALREADY_EXISTS,
    /** The registry linked it from another repository of the same registry. */
    MOUNTED,
    /** Its bytes were uploaded. */
    UPLOADED
}
