package io.jstargz.snapshotter;

import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.ConvertResult;
import io.jstargz.estargz.ExternalTocSource;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.MediaTypes;
import io.jstargz.remote.RegistryClient;
import io.jstargz.testing.LayerBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Layers pushed to a real registry as the tests need them: converted here (eStargz, zstd:chunked, with an external
 * TOC and its TOC image), a test vector, or plain gzip.
 */
final class PushedLayers {
    /** A layer blob in the registry, with the TOC digest its manifest annotation would carry (null for gzip). */
    record Pushed(String digest, String tocDigest, long size) {
    }

    private PushedLayers() {
    }

    static Pushed estargz(RegistryClient client, ImageReference repo, LayerBuilder layer, String... prioritized)
            throws IOException {
        return converted(client, repo, layer, ConvertOptions.defaults().withPrioritizedFiles(List.of(prioritized)))
                .pushed();
    }

    /** A layer converted with {@code options} and pushed, and what the conversion gave. */
    record Converted(Pushed pushed, ConvertResult result) {
    }

    static Converted converted(RegistryClient client, ImageReference repo, LayerBuilder layer,
                               ConvertOptions options) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConvertResult r = new LayerConverter(options).convert(new ByteArrayInputStream(layer.tar()), out);
        client.pushBlob(repo, BlobContent.of(out.toByteArray()), null);
        return new Converted(new Pushed(r.blobDigest(), r.tocDigest(), r.size()), r);
    }

    /**
     * Pushes the TOC image of a layer converted with an external TOC, as the reference's converter writes it: tagged
     * {@code TAG-esgztoc} beside {@code image}, its layer annotated with the layer's digest.
     */
    static void tocImage(RegistryClient client, ImageReference image, Converted layer) throws IOException {
        byte[] config = "{}".getBytes(StandardCharsets.US_ASCII);
        BlobContent configBlob = BlobContent.of(config);
        BlobContent toc = BlobContent.of(layer.result().externalToc());
        client.pushBlob(image, configBlob, null);
        client.pushBlob(image, toc, null);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{"
                + "\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + configBlob.digest()
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_GZIP
                + "\",\"digest\":\"" + toc.digest() + "\",\"size\":" + toc.size() + ",\"annotations\":{\""
                + ExternalTocSource.LAYER_DIGEST_ANNOTATION + "\":\"" + layer.pushed().digest() + "\"}}]}";
        client.putManifest(new ImageReference(image.registry(), image.repository(),
                image.tag() + ExternalTocSource.TOC_IMAGE_TAG_SUFFIX, null), MediaTypes.OCI_MANIFEST,
                manifest.getBytes(StandardCharsets.UTF_8));
    }

    /** A blob made elsewhere (a test vector), pushed as it is; {@code tocDigest} is what its annotation says. */
    static Pushed file(RegistryClient client, ImageReference repo, Path blob, String tocDigest) throws IOException {
        BlobContent content = BlobContent.of(Files.readAllBytes(blob));
        client.pushBlob(repo, content, null);
        return new Pushed(content.digest().toString(), tocDigest, content.size());
    }

    static Pushed gzip(RegistryClient client, ImageReference repo, LayerBuilder layer) throws IOException {
        byte[] gz = LayerBuilder.gzip(layer.tar());
        BlobContent content = BlobContent.of(gz);
        client.pushBlob(repo, content, null);
        return new Pushed(content.digest().toString(), null, gz.length);
    }
}
