package io.jstargz.estargz;

import java.io.IOException;

/**
 * A blob that hands every call to another, for wrappers that change one thing (as okio's {@code ForwardingSource}):
 * the daemon's capture of a layer's tail, the tests' blobs that record or corrupt what is read. {@link #readRanges}
 * and {@link #openStream} are not forwarded: they are {@link RemoteBlob}'s defaults built on {@link #read}, so a
 * wrapper that changes {@code read} sees every byte that goes through it.
 */
public abstract class ForwardingBlob implements RemoteBlob {
    private final RemoteBlob delegate;

    protected ForwardingBlob(RemoteBlob delegate) {
        this.delegate = delegate;
    }

    /** The blob this one forwards to. */
    protected final RemoteBlob delegate() {
        return delegate;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        return delegate.read(offset, length);
    }

    @Override
    public void check() throws IOException {
        delegate.check();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
