package io.jstargz.snapshotter.fs;

import io.jstargz.estargz.InvalidBlobException;
import io.jstargz.remote.NotFoundException;
import io.jstargz.remote.RegistryException;

/** Why a layer could not be opened, in the words {@code jstargz status} and the log show. */
final class Reasons {
    private Reasons() {
    }

    static String of(Throwable t) {
        String msg = t.getMessage() == null ? t.toString() : t.getMessage();
        if (t instanceof InvalidBlobException e) {
            return switch (e.reason()) {
                case BAD_FOOTER -> "it is not eStargz: " + msg;
                case MISSING_TOC -> "its external TOC is missing: " + msg;
                default -> "it is not a valid eStargz layer: " + msg;
            };
        }
        if (t instanceof NotFoundException) {
            return "the registry does not have it: " + msg;
        }
        if (t instanceof RegistryException) {
            return "registry error: " + msg;
        }
        return msg;
    }
}
