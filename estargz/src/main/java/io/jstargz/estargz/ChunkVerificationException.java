package io.jstargz.estargz;

/**
 * Bytes read for a chunk (or a whole file) do not match the digest or size the TOC records. The bytes are never
 * returned to the caller.
 */
public final class ChunkVerificationException extends EstargzException {
    private static final long serialVersionUID = 1L;

    private final String layer;
    private final String path;
    private final long fileOffset;

    public ChunkVerificationException(String layer, String path, long fileOffset, String problem) {
        super(message(layer, path, fileOffset, problem));
        this.layer = layer;
        this.path = path;
        this.fileOffset = fileOffset;
    }

    public ChunkVerificationException(String layer, String path, long fileOffset, String problem, Throwable cause) {
        super(message(layer, path, fileOffset, problem), cause);
        this.layer = layer;
        this.path = path;
        this.fileOffset = fileOffset;
    }

    private static String message(String layer, String path, long fileOffset, String problem) {
        return "layer " + layer + ": file " + GoStrings.quote(path) + " at offset " + fileOffset + ": " + problem;
    }

    /** The layer's name as given in {@link OpenOptions#layerName()}. */
    public String layer() {
        return layer;
    }

    /** Normalised path of the file. */
    public String path() {
        return path;
    }

    /** Offset in the file of the chunk that failed. */
    public long fileOffset() {
        return fileOffset;
    }
}
