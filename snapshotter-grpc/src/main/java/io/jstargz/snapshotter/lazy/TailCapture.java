package io.jstargz.snapshotter.lazy;

import io.jstargz.estargz.BlobSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A blob source that keeps a copy of what is read through it: wraps the registry blob while its index is opened, so
 * the TOC bytes the reader fetched can be stored without fetching them again.
 */
final class TailCapture implements BlobSource {
    private record Piece(long offset, byte[] bytes) {
    }

    private final BlobSource blob;
    private final List<Piece> pieces = new ArrayList<>();

    TailCapture(BlobSource blob) {
        this.blob = blob;
    }

    @Override
    public long size() throws IOException {
        return blob.size();
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        byte[] bytes = blob.read(offset, length);
        synchronized (pieces) {
            pieces.add(new Piece(offset, bytes));
        }
        return bytes;
    }

    /** Everything read, as one range up to the end of the blob: the reader reads the tail, then what it missed. */
    LayerTail all() throws IOException {
        long from;
        synchronized (pieces) {
            from = pieces.stream().mapToLong(Piece::offset).min().orElse(size());
        }
        return new LayerTail(size(), from, bytes(from, size()));
    }

    /**
     * The bytes {@code [from, to)} from what was read.
     *
     * @throws IOException if part of that range was never read
     */
    byte[] bytes(long from, long to) throws IOException {
        byte[] out = new byte[Math.toIntExact(to - from)];
        long covered = from;
        if (covered >= to) {
            return out;
        }
        List<Piece> sorted;
        synchronized (pieces) {
            sorted = new ArrayList<>(pieces);
        }
        sorted.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        for (Piece p : sorted) {
            long end = p.offset() + p.bytes().length;
            if (p.offset() > covered) {
                break;
            }
            if (end > covered) {
                long stop = Math.min(end, to);
                System.arraycopy(p.bytes(), (int) (covered - p.offset()), out, (int) (covered - from),
                        (int) (stop - covered));
                covered = stop;
            }
            if (covered >= to) {
                return out;
            }
        }
        throw new IOException(blob + ": bytes [" + covered + ", " + to + ") were not read");
    }

    @Override
    public String toString() {
        return blob.toString();
    }
}
