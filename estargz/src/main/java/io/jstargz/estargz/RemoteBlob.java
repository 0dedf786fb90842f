package io.jstargz.estargz;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A blob as the read path uses it, saying what it can do: ranged reads ({@link #read}), several ranges at once
 * ({@link #readRanges}), one long range as a stream ({@link #openStream}), and whether it can still be read
 * ({@link #check}).
 *
 * <p>A registry blob does each in as few requests as it can: many ranges in one multi-range request, a prefetch in
 * one streamed request that resumes where a connection broke. A local file gets the defaults, built on {@link #read}:
 * touching ranges are read together, a stream reads a piece at a time. So the read path asks for what it wants and
 * never needs to know which blob it has.
 */
public interface RemoteBlob extends BlobSource {

    /**
     * The bytes of each range, in the order asked; ranges that touch are read together (the default reads each
     * merged range with one {@link #read}).
     *
     * @throws java.io.EOFException if a range extends past the end of the blob
     */
    default List<byte[]> readRanges(List<ByteRange> ranges) throws IOException {
        List<ByteRange> merged = RangeCoalescer.coalesce(ranges.stream().filter(r -> r.length() > 0).toList(), 0);
        List<byte[]> read = new ArrayList<>(merged.size());
        for (ByteRange m : merged) {
            read.add(read(m.offset(), Math.toIntExact(m.length())));
        }
        return RangeCoalescer.split(ranges, merged, read);
    }

    /**
     * The bytes of each range as {@link #readRanges(List)} gives them, failing rather than waiting past {@code bound}
     * where the blob can tell a stalled source (the default, for blobs that cannot stall, ignores it).
     *
     * @throws IOException also when the bound passed, naming what was read
     */
    default List<byte[]> readRanges(List<ByteRange> ranges, Duration bound) throws IOException {
        return readRanges(ranges);
    }

    /** The range {@code [offset, offset + length)} as a stream, for one long read; the caller closes it. */
    default InputStream openStream(long offset, long length) throws IOException {
        return new BlobStream(this, offset, length);
    }

    /**
     * Checks that the blob can still be read, saying why not otherwise (a local file always can).
     *
     * @throws IOException naming the blob and what failed
     */
    default void check() throws IOException {
    }
}
