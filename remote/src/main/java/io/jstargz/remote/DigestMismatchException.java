package io.jstargz.remote;

import java.io.IOException;

/** Content did not hash to the digest it was fetched by; the bytes were not returned. */
public class DigestMismatchException extends IOException {

    public DigestMismatchException(String what, Digest expected, String actual) {
        super(what + ": expected digest " + expected + " but the content hashes to " + actual);
    }
}
