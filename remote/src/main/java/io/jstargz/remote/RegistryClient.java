package io.jstargz.remote;

import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.remote.auth.DockerConfigCredentials;
import io.jstargz.remote.hosts.Capability;
import io.jstargz.remote.hosts.HostsDirectory;
import io.jstargz.remote.hosts.RegistryHost;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Headers;

/**
 * An OCI distribution client: resolves images, reads blobs with Range requests, pushes blobs and manifests.
 * Registries are configured like containerd's (hosts.toml mirrors, TLS, headers) and credentials come from docker's
 * config.json. One instance per process: it holds the connection pool, the token cache and the resolution cache.
 * Thread-safe.
 */
public final class RegistryClient implements Closeable {

    private final RegistryConfig config;
    private final HttpTransport transport;
    private final HostsDirectory hostsDirectory;
    private final HostFallback fallback;
    private final ManifestResolver resolver;
    private final BlobPusher pusher;
    private final ThreadPoolExecutor executor;

    private RegistryClient(RegistryConfig config, CredentialStore credentials) {
        this.config = config;
        this.transport = new HttpTransport(config, credentials);
        this.hostsDirectory = new HostsDirectory(config.hostsDir(), this::plainHttpByDefault);
        this.fallback = new HostFallback(transport);
        this.resolver = new ManifestResolver(transport, fallback, this::hosts);
        this.pusher = new BlobPusher(transport, fallback, this::hosts);
        AtomicInteger threads = new AtomicInteger();
        // parallel range reads; when all threads are busy the caller runs the task itself (no unbounded queue)
        this.executor = new ThreadPoolExecutor(0, Math.max(4, config.maxConcurrentPerHost() * 2), 30,
                TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "jstargz-registry-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
    }

    /** A client with credentials from {@link RegistryConfig#dockerConfig()}. */
    public static RegistryClient create(RegistryConfig config) {
        return new RegistryClient(config, dockerConfigCredentials(config));
    }

    /** The credentials of {@code config}'s docker config.json and credential helpers. */
    public static CredentialStore dockerConfigCredentials(RegistryConfig config) {
        return new DockerConfigCredentials(config.dockerConfig(), config.credentialHelperDirs());
    }

    /** A client with its own credential source. */
    public static RegistryClient create(RegistryConfig config, CredentialStore credentials) {
        return new RegistryClient(config, credentials);
    }

    public RegistryConfig config() {
        return config;
    }

    /** Resolves {@code ref} for {@link RegistryConfig#platform()}; see {@link #resolve(ImageReference, Platform)}. */
    public ResolvedImage resolve(ImageReference ref) throws IOException {
        return resolve(ref, config.platform());
    }

    /**
     * Resolves {@code ref} (a tag or a digest) to the image manifest for {@code platform}, selecting from an index
     * or manifest list. Cached for {@link RegistryConfig#resolveCacheTtl()}; concurrent calls share one
     * resolution.
     *
     * @throws NotFoundException if the image or the platform is not there
     */
    public ResolvedImage resolve(ImageReference ref, Platform platform) throws IOException {
        return resolver.resolve(ref, platform);
    }

    /** The manifest or index {@code ref} names, as stored (checked against its digest), without caching. */
    public ManifestContent getManifest(ImageReference ref) throws IOException {
        return resolver.fetch(ref, ref.manifestReference());
    }

    /**
     * A layer of {@code repository} for random access. No request is made until the first read.
     *
     * @param size the size from the manifest descriptor, or -1 to learn it from the first request
     */
    public RegistryBlobSource openBlob(ImageReference repository, Digest digest, long size) throws IOException {
        BlobLocator locator = new BlobLocator(transport, fallback, hosts(repository.registry(), Capability.PULL),
                repository, digest);
        return new RegistryBlobSource(locator, size, transport, executor);
    }

    /** A layer described by a manifest descriptor, for random access. */
    public RegistryBlobSource openBlob(ImageReference repository, Descriptor layer) throws IOException {
        return openBlob(repository, layer.digest(), layer.size());
    }

    /** The size of a blob (a HEAD request). */
    public long blobSize(ImageReference repository, Digest digest) throws IOException {
        BlobLocator locator = new BlobLocator(transport, fallback, hosts(repository.registry(), Capability.PULL),
                repository, digest);
        String what = "size of " + locator.describe();
        return locator.read("HEAD", Headers.of(), what, ex -> {
            String length = ex.header("Content-Length");
            try {
                return Long.parseLong(length == null ? "" : length.trim());
            } catch (NumberFormatException e) {
                throw new RegistryException(what + ": the registry sent no valid Content-Length (" + length + ")");
            }
        });
    }

    /**
     * The whole blob as a stream, checked against its digest: the last read throws
     * {@link DigestMismatchException} instead of returning end-of-stream when the bytes are wrong.
     *
     * @param size the size from the descriptor, or -1 to ask the registry
     */
    public InputStream fetchBlob(ImageReference repository, Digest digest, long size) throws IOException {
        RegistryBlobSource blob = openBlob(repository, digest, size);
        long s = size >= 0 ? size : blobSize(repository, digest);
        return new DigestVerifyingInputStream(blob.openStream(0, s), digest, s, blob.toString());
    }

    /** Whether the repository has the blob (a HEAD request). */
    public boolean blobExists(ImageReference repository, Digest digest) throws IOException {
        return pusher.exists(repository, digest);
    }

    /**
     * Makes sure {@code repository} has the blob: nothing to do when it is there, a cross-repository mount from
     * {@code mountFrom} (same registry) when given, else an upload streamed from {@code content} (chunked above
     * {@link RegistryConfig#uploadChunkSize()}).
     *
     * @param mountFrom a repository of the same registry that has the blob, or {@code null}
     */
    public PushOutcome pushBlob(ImageReference repository, BlobContent content, ImageReference mountFrom)
            throws IOException {
        return pusher.push(repository, content, mountFrom);
    }

    /**
     * Stores a manifest or index under {@code ref}'s tag, or under its digest when it has none.
     *
     * @return the manifest's digest
     */
    public Digest putManifest(ImageReference ref, String mediaType, byte[] manifest) throws IOException {
        return pusher.putManifest(ref, mediaType, manifest);
    }

    /** Traffic counters per host. */
    public RegistryMetrics metrics() {
        return transport.metrics();
    }

    /** The endpoints for {@code registry}, in the order they are tried. */
    public List<RegistryHost> hosts(String registry) throws IOException {
        return hostsDirectory.hosts(registry);
    }

    @Override
    public void close() {
        executor.shutdown();
        transport.close();
    }

    private List<RegistryHost> hosts(String registry, Capability capability) throws IOException {
        List<RegistryHost> out = new ArrayList<>();
        for (RegistryHost h : hostsDirectory.hosts(registry)) {
            if (h.can(capability)) {
                out.add(h);
            }
        }
        if (out.isEmpty()) {
            throw new RegistryException("no host configured for " + registry + " may be used to "
                    + capability.name().toLowerCase(Locale.ROOT) + " (see hosts.toml in "
                    + config.hostsDir() + ")");
        }
        return out;
    }

    private boolean plainHttpByDefault(String registry) {
        if (config.plainHttpHosts().contains(registry)) {
            return true;
        }
        if (!config.plainHttpLoopback()) {
            return false;
        }
        String host = registry;
        if (host.startsWith("[")) {
            host = host.substring(1, host.indexOf(']'));
        } else if (host.indexOf(':') >= 0) {
            host = host.substring(0, host.indexOf(':'));
        }
        if (host.equals("localhost")) {
            return true;
        }
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }
}
