package io.jstargz.fs;

import io.jstargz.estargz.BlobSource;
import java.io.IOException;

/** A fault injector: a blob whose bytes in {@code [from, to)} come back flipped, as from a bad disk or proxy. */
final class CorruptingBlobSource implements BlobSource {
    private final BlobSource blob;
    private final long from;
    private final long to;

    CorruptingBlobSource(BlobSource blob, long from, long to) {
        this.blob = blob;
        this.from = from;
        this.to = to;
    }

    @Override
    public long size() throws IOException {
        return blob.size();
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        byte[] bytes = blob.read(offset, length);
        for (long p = Math.max(offset, from); p < Math.min(offset + length, to); p++) {
            bytes[(int) (p - offset)] ^= 0x5a;
        }
        return bytes;
    }

    @Override
    public void close() throws IOException {
        blob.close();
    }
}
