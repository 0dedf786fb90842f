package io.jstargz.image;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.jstargz.estargz.RemoteBlob;
import io.jstargz.image.containerd.ContainerdConnection;
import io.jstargz.image.proto.content.ContentGrpc;
import io.jstargz.image.proto.content.ReadContentRequest;
import io.jstargz.image.proto.content.ReadContentResponse;
import io.jstargz.image.proto.images.GetImageRequest;
import io.jstargz.image.proto.images.ImagesGrpc;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ManifestContent;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reads an image that is in containerd's content store (pulled or imported there), through containerd's own API on
 * its socket: the images service finds the image by name in a namespace, the content service streams its blobs (from
 * any offset, for random access). As {@code ctr-remote image convert} reads it; the image is not copied first.
 */
final class ContainerdSource implements ImageSource {
    private static final long CALL_SECONDS = 60;

    private final ImageLocation.Containerd location;
    private final ContainerdConnection connection;
    private final ImagesGrpc.ImagesBlockingStub images;
    private final ContentGrpc.ContentBlockingStub content;

    ContainerdSource(ImageLocation.Containerd location) throws IOException {
        this.location = location;
        this.connection = ContainerdConnection.open(location.socket(), location.namespace(), location.toString());
        this.images = connection.stub(ImagesGrpc.newBlockingStub(connection.channel()));
        this.content = connection.stub(ContentGrpc.newBlockingStub(connection.channel()));
    }

    @Override
    public ManifestContent root() throws IOException {
        io.jstargz.image.proto.types.Descriptor target;
        try {
            target = images.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
                    .get(GetImageRequest.newBuilder().setName(location.name()).build()).getImage().getTarget();
        } catch (StatusRuntimeException e) {
            throw failed("image " + location.name(), e);
        }
        return manifest(new Descriptor(target.getMediaType(), Digest.parse(target.getDigest()), target.getSize(),
                List.of(), Map.copyOf(target.getAnnotationsMap()), null));
    }

    @Override
    public ManifestContent manifest(Descriptor descriptor) throws IOException {
        return Manifests.content(descriptor, readBlob(descriptor), toString());
    }

    @Override
    public byte[] readBlob(Descriptor descriptor) throws IOException {
        Manifests.checkSmall(descriptor, toString());
        byte[] bytes = read(descriptor.digest(), 0, descriptor.size());
        if (bytes.length != descriptor.size() || !descriptor.digest().matches(bytes)) {
            throw new IOException(this + ": blob " + descriptor.digest() + " does not match its digest or size");
        }
        return bytes;
    }

    @Override
    public InputStream openBlob(Descriptor descriptor) throws IOException {
        return stream(descriptor.digest(), 0);
    }

    @Override
    public RemoteBlob randomAccess(Descriptor descriptor) {
        return new RemoteBlob() {
            @Override
            public long size() {
                return descriptor.size();
            }

            @Override
            public byte[] read(long offset, int length) throws IOException {
                if (offset < 0 || length < 0 || offset > descriptor.size() - length) {
                    throw new EOFException(ContainerdSource.this + ": range [" + offset + ", " + (offset + length)
                            + ") is outside blob " + descriptor.digest() + " of " + descriptor.size() + " bytes");
                }
                byte[] bytes = ContainerdSource.this.read(descriptor.digest(), offset, length);
                if (bytes.length != length) {
                    throw new EOFException(ContainerdSource.this + ": blob " + descriptor.digest() + " gave "
                            + bytes.length + " of " + length + " bytes at " + offset);
                }
                return bytes;
            }
        };
    }

    @Override
    public BlobContent content(Descriptor descriptor) {
        return BlobContent.of(descriptor.digest(), descriptor.size(), offset -> stream(descriptor.digest(), offset));
    }

    /** {@code size} bytes of a blob from {@code offset} (containerd reads to the end when size is 0). */
    private byte[] read(Digest digest, long offset, long size) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(size, 1 << 20));
        try (InputStream in = stream(digest, offset, size)) {
            in.transferTo(out);
        }
        return out.toByteArray();
    }

    private InputStream stream(Digest digest, long offset) throws IOException {
        return stream(digest, offset, 0);
    }

    /** A blob's bytes as containerd streams them, in the responses' order. */
    private InputStream stream(Digest digest, long offset, long size) throws IOException {
        Iterator<ReadContentResponse> responses;
        try {
            responses = content.read(ReadContentRequest.newBuilder().setDigest(digest.toString()).setOffset(offset)
                    .setSize(size).build());
        } catch (StatusRuntimeException e) {
            throw failed("blob " + digest, e);
        }
        return new InputStream() {
            private ByteString chunk = ByteString.EMPTY;
            private int at;

            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (at == chunk.size()) {
                    try {
                        if (!responses.hasNext()) {
                            return -1;
                        }
                        chunk = responses.next().getData();
                    } catch (StatusRuntimeException e) {
                        throw failed("blob " + digest, e);
                    }
                    at = 0;
                }
                int n = Math.min(len, chunk.size() - at);
                chunk.copyTo(b, at, off, n);
                at += n;
                return n;
            }
        };
    }

    private IOException failed(String what, StatusRuntimeException e) {
        return connection.failed(this, what, e);
    }

    @Override
    public void close() {
        connection.close();
    }

    @Override
    public String toString() {
        return location.toString();
    }
}
