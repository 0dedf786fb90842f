package io.jstargz.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;

/** A region of a file as a channel, read with positional reads so that several may share one {@link FileChannel}. */
final class WindowChannel implements ReadableByteChannel {
    private final FileChannel file;
    private long position;
    private final long end;
    private boolean open = true;

    WindowChannel(FileChannel file, long offset, long length) {
        this.file = file;
        this.position = offset;
        this.end = offset + length;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (position >= end) {
            return -1;
        }
        ByteBuffer slice = dst.duplicate();
        if (slice.remaining() > end - position) {
            slice.limit(slice.position() + (int) (end - position));
        }
        int n = file.read(slice, position);
        if (n < 0) {
            throw new IOException("the file ends " + (end - position) + " bytes before the end of the region");
        }
        dst.position(dst.position() + n);
        position += n;
        return n;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
