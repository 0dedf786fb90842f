package io.jstargz.estargz;

import java.io.IOException;

/**
 * A blob while its index is opened, with its tail fetched before (with the request that learns a registry blob's
 * size): the reader's read of the tail is answered from it, and a read of the bytes just before it (the start of a
 * TOC larger than the tail) extends it. So {@link #fetched} is everything the open fetched, one value for the mount
 * and the stored TOC, and nothing is fetched twice.
 */
public final class TailCapture extends ForwardingBlob {
    private BlobTail tail;

    public TailCapture(RemoteBlob blob, BlobTail tail) {
        super(blob);
        this.tail = tail;
    }

    @Override
    public long size() {
        return tail.blobSize();
    }

    @Override
    public synchronized byte[] read(long offset, int length) throws IOException {
        if (tail.covers(offset, length)) {
            return tail.slice(offset, length);
        }
        byte[] bytes = super.read(offset, length);
        if (offset + length == tail.offset()) {
            tail = tail.after(bytes);
        }
        return bytes;
    }

    /** What was fetched: the tail, and the bytes read just before it. */
    public synchronized BlobTail fetched() {
        return tail;
    }
}
