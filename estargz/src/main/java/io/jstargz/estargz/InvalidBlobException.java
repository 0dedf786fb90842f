package io.jstargz.estargz;

/**
 * The blob is not a well-formed eStargz (or legacy stargz) blob: its footer, TOC or chunk table is broken or
 * hostile. The message names the layer and what is wrong where; {@link #reason()} classifies it.
 */
public final class InvalidBlobException extends EstargzException {
    private static final long serialVersionUID = 1L;

    /** What kind of defect was found. */
    public enum Reason {
        /** Blob too small, or neither the 51-byte eStargz footer nor the 47-byte legacy footer parses. */
        BAD_FOOTER,
        /** The footer points outside the blob. */
        TOC_OUT_OF_RANGE,
        /** The footer says the TOC is external (in the layer's TOC image), and it could not be had. */
        MISSING_TOC,
        /** The TOC (compressed or decompressed) is larger than the configured limit. */
        TOC_TOO_LARGE,
        /** The compressed TOC (or, for gzip formats, its tar entry) is broken. */
        BAD_TOC,
        /** The TOC JSON does not parse or has values of the wrong type. */
        BAD_TOC_JSON,
        /** The TOC digest differs from the expected one. */
        TOC_DIGEST_MISMATCH,
        /** An entry is malformed: unknown type, negative numbers, bad digest syntax. */
        BAD_ENTRY,
        /** A name is absolute, contains {@code ..} or NUL, or is otherwise unsafe. */
        UNSAFE_NAME,
        /** Two entries have the same normalised name. */
        DUPLICATE_ENTRY,
        /** A parent path is not a directory, or the root is not a directory. */
        BAD_TREE,
        /** A hardlink points to a missing entry, to a directory, or into a cycle. */
        BAD_HARDLINK,
        /** A file's chunks do not tile its size, or chunk entries are out of order. */
        BAD_CHUNKS,
        /** A chunk lies outside the blob's payload, or its compressed span cannot hold its declared size. */
        CHUNK_OUT_OF_RANGE,
        /** A chunk is larger than the configured limit. */
        CHUNK_TOO_LARGE,
        /** A chunk has no digest, so its bytes could never be verified. */
        MISSING_DIGEST
    }

    private final Reason reason;

    public InvalidBlobException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public InvalidBlobException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
