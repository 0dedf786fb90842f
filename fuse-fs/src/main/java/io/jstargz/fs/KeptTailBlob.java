package io.jstargz.fs;

import io.jstargz.estargz.ByteRange;
import io.jstargz.estargz.RemoteBlob;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A layer's blob that serves the part of one span that the layer's opening already fetched. Opening a layer reads the
 * blob's tail (512 KiB by default), which ends the blob but starts inside some span: the spans wholly inside it are
 * cached when fetching starts ({@link LayerMount#adopt}), but the one it cuts would be fetched whole, its end a
 * second time. For a small layer that is most of it (busybox: a 1 MiB blob, one span, fetched 1.5 times). So the cut
 * span's part in the tail is kept here, and any read that asks for it gets it from memory and fetches only the rest.
 *
 * <p>The kept bytes are dropped once a read has taken all of them: the span is cached from then on, or, if that read
 * failed or the span failed its check, fetched again whole. A read the kept bytes have nothing to do with goes to
 * the blob as it is, multi-range requests and streams included.
 */
final class KeptTailBlob implements RemoteBlob {
    private final RemoteBlob blob;
    /** What is kept, or null: one field, so that a read never sees the range of one keeping and the bytes of none. */
    private volatile Kept kept;

    private record Kept(ByteRange range, byte[] bytes) {
    }

    KeptTailBlob(RemoteBlob blob) {
        this.blob = blob;
    }

    /** Keeps {@code bytes}, the blob's bytes from {@code offset} on. */
    void keep(long offset, byte[] bytes) {
        kept = new Kept(new ByteRange(offset, bytes.length), bytes);
    }

    @Override
    public long size() throws IOException {
        return blob.size();
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        Kept kept = this.kept;
        ByteRange r = new ByteRange(offset, length);
        return kept == null || !overlaps(r, kept.range()) ? blob.read(offset, length) : readRanges(List.of(r)).get(0);
    }

    @Override
    public List<byte[]> readRanges(List<ByteRange> ranges) throws IOException {
        return readRanges(ranges, null);
    }

    @Override
    public List<byte[]> readRanges(List<ByteRange> ranges, Duration bound) throws IOException {
        Kept kept = this.kept;
        if (kept == null || ranges.stream().noneMatch(r -> overlaps(r, kept.range()))) {
            return fromBlob(ranges, bound);
        }
        ByteRange k = kept.range();
        byte[] bytes = kept.bytes();
        List<ByteRange> remote = new ArrayList<>();
        for (ByteRange r : ranges) {
            pieces(r, k).stream().filter(p -> !overlaps(p, k)).forEach(remote::add);
        }
        Iterator<byte[]> fetched = (remote.isEmpty() ? List.<byte[]>of() : fromBlob(remote, bound)).iterator();
        List<byte[]> out = new ArrayList<>(ranges.size());
        boolean allTaken = false;
        for (ByteRange r : ranges) {
            byte[] b = new byte[Math.toIntExact(r.length())];
            for (ByteRange p : pieces(r, k)) {
                if (overlaps(p, k)) {
                    System.arraycopy(bytes, (int) (p.offset() - k.offset()), b, (int) (p.offset() - r.offset()),
                            (int) p.length());
                } else {
                    byte[] piece = fetched.next();
                    System.arraycopy(piece, 0, b, (int) (p.offset() - r.offset()), piece.length);
                }
            }
            allTaken |= r.contains(k);
            out.add(b);
        }
        if (allTaken) {
            drop();
        }
        return out;
    }

    @Override
    public InputStream openStream(long offset, long length) throws IOException {
        ByteRange r = new ByteRange(offset, length);
        Kept kept = this.kept;
        if (kept == null || !overlaps(r, kept.range())) {
            return blob.openStream(offset, length);
        }
        ByteRange k = kept.range();
        byte[] bytes = kept.bytes();
        if (r.contains(k)) {
            drop();
        }
        Iterator<ByteRange> pieces = pieces(r, k).iterator();
        return new SequenceInputStream(new Enumeration<>() { // each piece of the blob opened when reached
            @Override
            public boolean hasMoreElements() {
                return pieces.hasNext();
            }

            @Override
            public InputStream nextElement() {
                if (!pieces.hasNext()) {
                    throw new NoSuchElementException();
                }
                ByteRange p = pieces.next();
                if (overlaps(p, k)) {
                    return new ByteArrayInputStream(bytes, (int) (p.offset() - k.offset()), (int) p.length());
                }
                try {
                    return blob.openStream(p.offset(), p.length());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
    }

    @Override
    public void check() throws IOException {
        blob.check();
    }

    @Override
    public void close() throws IOException {
        drop();
        blob.close();
    }

    @Override
    public String toString() {
        return blob.toString();
    }

    private List<byte[]> fromBlob(List<ByteRange> ranges, Duration bound) throws IOException {
        return bound == null ? blob.readRanges(ranges) : blob.readRanges(ranges, bound);
    }

    private void drop() {
        kept = null;
    }

    private static boolean overlaps(ByteRange a, ByteRange b) {
        return a.offset() < b.end() && b.offset() < a.end();
    }

    /** {@code r} cut at the kept range's ends: the pieces before it, in it, and after it that are not empty. */
    private static List<ByteRange> pieces(ByteRange r, ByteRange k) {
        List<ByteRange> pieces = new ArrayList<>(3);
        long a = r.offset();
        for (long cut : new long[] {k.offset(), k.end(), r.end()}) {
            long to = Math.min(Math.max(cut, a), r.end());
            if (to > a) {
                pieces.add(new ByteRange(a, to - a));
                a = to;
            }
        }
        return pieces;
    }
}
