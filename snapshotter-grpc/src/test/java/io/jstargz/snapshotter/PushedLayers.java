package io.jstargz.snapshotter;

import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.ConvertResult;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.testing.LayerBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/** Layers pushed to a real registry as the tests need them: eStargz (converted here) or plain gzip. */
final class PushedLayers {
    /** A layer blob in the registry, with the TOC digest its manifest annotation would carry (null for gzip). */
    record Pushed(String digest, String tocDigest, long size) {
    }

    private PushedLayers() {
    }

    static Pushed estargz(RegistryClient client, ImageReference repo, LayerBuilder layer, String... prioritized)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConvertResult r = new LayerConverter(ConvertOptions.defaults().withPrioritizedFiles(List.of(prioritized)))
                .convert(new ByteArrayInputStream(layer.tar()), out);
        client.pushBlob(repo, BlobContent.of(out.toByteArray()), null);
        return new Pushed(r.blobDigest(), r.tocDigest(), r.size());
    }

    static Pushed gzip(RegistryClient client, ImageReference repo, LayerBuilder layer) throws IOException {
        byte[] gz = LayerBuilder.gzip(layer.tar());
        BlobContent content = BlobContent.of(gz);
        client.pushBlob(repo, content, null);
        return new Pushed(content.digest().toString(), null, gz.length);
    }
}
