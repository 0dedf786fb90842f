package io.jstargz.estargz;

/** A byte range {@code [offset, offset + length)} of a blob. */
public record ByteRange(long offset, long length) {

    public ByteRange {
        if (offset < 0 || length < 0 || offset + length < offset) {
            throw new IllegalArgumentException("invalid byte range: offset " + offset + ", length " + length);
        }
    }

    /** The offset just past the range. */
    public long end() {
        return offset + length;
    }

    public boolean contains(ByteRange other) {
        return other.offset >= offset && other.end() <= end();
    }

    @Override
    public String toString() {
        return "[" + offset + ", " + end() + ")";
    }
}
