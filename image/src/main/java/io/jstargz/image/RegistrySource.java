package io.jstargz.image;

import io.jstargz.estargz.RemoteBlob;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.ManifestContent;
import io.jstargz.remote.RegistryBlobSource;
import io.jstargz.remote.RegistryClient;
import java.io.IOException;
import java.io.InputStream;

/** Reads an image from a registry through the shared {@link RegistryClient}. */
final class RegistrySource implements ImageSource {
    private final RegistryClient client;
    private final ImageReference ref;

    RegistrySource(RegistryClient client, ImageReference ref) {
        this.client = client;
        this.ref = ref;
    }

    @Override
    public ManifestContent root() throws IOException {
        return client.getManifest(ref);
    }

    @Override
    public ManifestContent manifest(Descriptor descriptor) throws IOException {
        Manifests.checkSmall(descriptor, toString());
        return client.getManifest(ref.withDigest(descriptor.digest()));
    }

    @Override
    public byte[] readBlob(Descriptor descriptor) throws IOException {
        Manifests.checkSmall(descriptor, toString());
        try (InputStream in = client.fetchBlob(ref, descriptor.digest(), descriptor.size())) {
            return in.readAllBytes();
        }
    }

    @Override
    public InputStream openBlob(Descriptor descriptor) throws IOException {
        RegistryBlobSource blob = client.openBlob(ref, descriptor);
        return blob.openStream(0, descriptor.size());
    }

    @Override
    public RemoteBlob randomAccess(Descriptor descriptor) throws IOException {
        return client.openBlob(ref, descriptor);
    }

    @Override
    public BlobContent content(Descriptor descriptor) throws IOException {
        RegistryBlobSource blob = client.openBlob(ref, descriptor);
        return BlobContent.of(descriptor.digest(), descriptor.size(),
                offset -> blob.openStream(offset, descriptor.size() - offset));
    }

    @Override
    public ImageReference repository() {
        return ref;
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "docker://" + ref;
    }
}
