package io.jstargz.estargz;

import io.jstargz.io.FileRanges;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A local file as a {@link RemoteBlob}, with its defaults (touching ranges read together). Positional reads make it
 * safe to share between threads.
 */
public final class FileBlobSource implements RemoteBlob {
    private final Path path;
    private final FileChannel channel;
    private final long size;

    private FileBlobSource(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        this.size = channel.size();
    }

    /** Opens a file for reading; the caller closes the source. */
    public static FileBlobSource open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new FileBlobSource(path, channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new EOFException(path + ": range [" + offset + ", " + (offset + length) + ") is outside the blob of "
                    + size + " bytes");
        }
        byte[] out = new byte[length];
        try {
            FileRanges.readFully(channel, offset, ByteBuffer.wrap(out));
        } catch (EOFException e) {
            throw new EOFException(path + ": file shrank while reading [" + offset + ", " + (offset + length) + ")");
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
