package io.jstargz.fs;

import io.jstargz.estargz.ForwardingBlob;
import io.jstargz.estargz.RemoteBlob;
import java.io.IOException;

/** A fault injector: a blob whose bytes in {@code [from, to)} come back flipped, as from a bad disk or proxy. */
final class CorruptingBlobSource extends ForwardingBlob {
    private final long from;
    private final long to;

    CorruptingBlobSource(RemoteBlob blob, long from, long to) {
        super(blob);
        this.from = from;
        this.to = to;
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        byte[] bytes = super.read(offset, length).clone();
        for (long p = Math.max(offset, from); p < Math.min(offset + length, to); p++) {
            bytes[(int) (p - offset)] ^= 0x5a;
        }
        return bytes;
    }
}
