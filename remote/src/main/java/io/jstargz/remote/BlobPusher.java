package io.jstargz.remote;

import io.jstargz.remote.hosts.Capability;
import io.jstargz.remote.hosts.RegistryHost;
import java.io.IOException;
import java.io.InputStream;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okio.BufferedSink;
import okio.Okio;
import okio.Source;

/**
 * Uploads to a registry: blob existence checks, cross-repository mounts (falling back to an upload when the
 * registry answers 202), monolithic and chunked uploads streamed from {@link BlobContent}, and manifests.
 */
final class BlobPusher {

    private static final MediaType OCTET_STREAM = MediaType.get("application/octet-stream");

    private final HttpTransport transport;
    private final HostFallback fallback;
    private final HostLookup hosts;

    BlobPusher(HttpTransport transport, HostFallback fallback, HostLookup hosts) {
        this.transport = transport;
        this.fallback = fallback;
        this.hosts = hosts;
    }

    boolean exists(ImageReference repo, Digest digest) throws IOException {
        return fallback.run(hosts.hosts(repo.registry(), Capability.PUSH), "check for blob " + digest,
                host -> exists(host, repo, digest, Access.push(repo, null)));
    }

    PushOutcome push(ImageReference repo, BlobContent content, ImageReference mountFrom) throws IOException {
        if (mountFrom != null && !mountFrom.registry().equals(repo.registry())) {
            mountFrom = null;
        }
        ImageReference from = mountFrom;
        Access access = Access.push(repo, from);
        String what = "push of blob " + content.digest() + " (" + content.size() + " bytes) to "
                + repo.repositoryName();
        return fallback.run(hosts.hosts(repo.registry(), Capability.PUSH), what, host -> {
            if (exists(host, repo, content.digest(), access)) {
                return PushOutcome.ALREADY_EXISTS;
            }
            HttpUrl.Builder start = HttpUrl.get(host.baseUrl() + "/" + repo.repository() + "/blobs/uploads/")
                    .newBuilder();
            if (from != null) {
                start.addQueryParameter("mount", content.digest().toString())
                        .addQueryParameter("from", from.repository());
            }
            HttpUrl location;
            try (Exchange ex = transport.send(host, access,
                    new Request.Builder().url(start.build()).post(RequestBody.EMPTY).build(), true)) {
                if (ex.code() == 201 && from != null) {
                    checkDigestHeader(ex, content.digest(), what);
                    return PushOutcome.MOUNTED;
                }
                if (ex.code() != 202) {
                    throw HttpTransport.failure(ex.response(), what);
                }
                location = location(ex, what);
            }
            upload(host, access, location, content, what);
            return PushOutcome.UPLOADED;
        });
    }

    private void upload(RegistryHost host, Access access, HttpUrl location, BlobContent content, String what)
            throws IOException {
        long chunk = transport.config().uploadChunkSize();
        RequestBody finalBody = RequestBody.EMPTY;
        if (content.size() <= chunk) {
            finalBody = new ContentBody(content, 0, content.size());
        } else {
            for (long offset = 0; offset < content.size(); offset += chunk) {
                long length = Math.min(chunk, content.size() - offset);
                Request patch = new Request.Builder().url(location)
                        .patch(new ContentBody(content, offset, length))
                        .header("Content-Range", offset + "-" + (offset + length - 1))
                        .build();
                try (Exchange ex = send(host, access, patch)) {
                    if (ex.code() != 202) {
                        throw HttpTransport.failure(ex.response(), what + " at offset " + offset);
                    }
                    location = location(ex, what);
                }
            }
        }
        HttpUrl done = location.newBuilder().addQueryParameter("digest", content.digest().toString()).build();
        try (Exchange ex = send(host, access, new Request.Builder().url(done).put(finalBody).build())) {
            if (ex.code() != 201) {
                throw HttpTransport.failure(ex.response(), what);
            }
            checkDigestHeader(ex, content.digest(), what);
        }
    }

    /** Puts a manifest under its tag, or under its digest when the reference has no tag; returns the digest. */
    Digest putManifest(ImageReference ref, String mediaType, byte[] manifest) throws IOException {
        Digest digest = Digest.sha256(manifest);
        if (ref.digest() != null && !ref.digest().equals(digest)) {
            throw new IllegalArgumentException("the manifest hashes to " + digest + ", not to " + ref.digest()
                    + " as its reference " + ref + " says");
        }
        String target = ref.tag() != null ? ref.tag() : digest.toString();
        String what = "push of manifest " + ref.repositoryName() + (ref.tag() != null ? ":" : "@") + target;
        Access access = Access.push(ref, null);
        return fallback.run(hosts.hosts(ref.registry(), Capability.PUSH), what, host -> {
            Request put = new Request.Builder()
                    .url(host.baseUrl() + "/" + ref.repository() + "/manifests/" + target)
                    .put(RequestBody.create(manifest, MediaType.get(mediaType)))
                    .build();
            try (Exchange ex = transport.send(host, access, put, true)) {
                if (ex.code() != 201) {
                    throw HttpTransport.failure(ex.response(), what);
                }
                checkDigestHeader(ex, digest, what);
                return digest;
            }
        });
    }

    private boolean exists(RegistryHost host, ImageReference repo, Digest digest, Access access)
            throws IOException {
        Request head = new Request.Builder()
                .url(host.baseUrl() + "/" + repo.repository() + "/blobs/" + digest).head().build();
        try (Exchange ex = transport.send(host, access, head, true)) {
            if (ex.code() == 200) {
                return true;
            }
            if (ex.code() == 404) {
                return false;
            }
            throw HttpTransport.failure(ex.response(), "check for blob " + digest + " in " + repo.repositoryName());
        }
    }

    /** Upload URLs come from the registry; credentials only go along while they point at the registry itself. */
    private Exchange send(RegistryHost host, Access access, Request request) throws IOException {
        HttpUrl base = HttpUrl.get(host.baseUrl());
        boolean sameHost = request.url().host().equals(base.host()) && request.url().port() == base.port();
        return sameHost ? transport.send(host, access, request, false) : transport.sendDirect(host, request, false);
    }

    private static HttpUrl location(Exchange ex, String what) throws RegistryException {
        String location = ex.header("Location");
        HttpUrl url = location == null ? null : ex.url().resolve(location);
        if (url == null) {
            throw new RegistryException(what + ": the registry answered " + ex.code() + " without a valid Location");
        }
        return url;
    }

    private static void checkDigestHeader(Exchange ex, Digest expected, String what) throws DigestMismatchException {
        String header = ex.header("Docker-Content-Digest");
        if (header != null && !header.trim().equals(expected.toString())) {
            throw new DigestMismatchException(what + ": the registry stored", expected, header.trim());
        }
    }

    /** Streams {@code length} bytes of the content from {@code offset}; replayable, for an auth retry. */
    private static final class ContentBody extends RequestBody {
        private final BlobContent content;
        private final long offset;
        private final long length;

        ContentBody(BlobContent content, long offset, long length) {
            this.content = content;
            this.offset = offset;
            this.length = length;
        }

        @Override
        public MediaType contentType() {
            return OCTET_STREAM;
        }

        @Override
        public long contentLength() {
            return length;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            try (InputStream in = content.open(offset); Source source = Okio.source(in)) {
                sink.write(source, length);
            }
        }
    }
}
