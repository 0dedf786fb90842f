package io.jstargz.remote;

import io.jstargz.remote.hosts.Capability;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import okhttp3.Request;

/**
 * Fetches manifests and resolves images: tag → digest, index → the platform's manifest, each checked against its
 * digest. Resolutions are cached for {@link RegistryConfig#resolveCacheTtl()} and shared by concurrent callers, so
 * resolving the same image for many layers costs one resolution.
 */
final class ManifestResolver {

    /** containerd's limit for manifests. */
    static final long MAX_MANIFEST_SIZE = 4 << 20;
    private static final int CACHE_ENTRIES = 256;

    private record Cached(CompletableFuture<ResolvedImage> future, long createdNanos) {
    }

    private final HttpTransport transport;
    private final HostFallback fallback;
    private final HostLookup hosts;
    private final Map<String, Cached> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
            return size() > CACHE_ENTRIES;
        }
    };

    ManifestResolver(HttpTransport transport, HostFallback fallback, HostLookup hosts) {
        this.transport = transport;
        this.fallback = fallback;
        this.hosts = hosts;
    }

    /** The image manifest for {@code platform}, from cache when resolved recently. */
    ResolvedImage resolve(ImageReference ref, Platform platform) throws IOException {
        String key = ref + "|" + platform;
        CompletableFuture<ResolvedImage> mine = new CompletableFuture<>();
        CompletableFuture<ResolvedImage> theirs;
        synchronized (cache) {
            Cached c = cache.get(key);
            long ttl = transport.config().resolveCacheTtl().toNanos();
            boolean usable = c != null && !c.future.isCompletedExceptionally()
                    && System.nanoTime() - c.createdNanos < ttl;
            theirs = usable ? c.future : null;
            if (theirs == null) {
                cache.put(key, new Cached(mine, System.nanoTime()));
            }
        }
        if (theirs != null) {
            return Futures.get(theirs, "the resolution of " + ref);
        }
        try {
            ResolvedImage resolved = resolveNow(ref, platform);
            mine.complete(resolved);
            return resolved;
        } catch (IOException | RuntimeException e) {
            mine.completeExceptionally(e);
            synchronized (cache) {
                cache.remove(key);
            }
            throw e;
        }
    }

    private ResolvedImage resolveNow(ImageReference ref, Platform platform) throws IOException {
        ManifestContent top = fetch(ref, ref.manifestReference());
        if (!top.isIndex()) {
            return new ResolvedImage(ref.withDigest(top.digest()), top.manifest(), top.descriptor(), null);
        }
        Descriptor chosen = top.index().select(platform);
        ManifestContent child = fetch(ref, chosen.digest().toString());
        if (child.isIndex()) {
            throw new RegistryException(ref + ": the index entry for " + platform + " (" + chosen.digest()
                    + ") is another index; nested indexes are not supported");
        }
        return new ResolvedImage(ref.withDigest(child.digest()), child.manifest(), chosen, top.digest());
    }

    /**
     * Fetches the manifest or index {@code reference} (a tag or a digest) of {@code ref}'s repository and checks it
     * against the digest asked for, or else against the registry's {@code Docker-Content-Digest}.
     */
    ManifestContent fetch(ImageReference ref, String reference) throws IOException {
        boolean byDigest = reference.contains(":");
        Digest expected = byDigest ? Digest.parse(reference) : null;
        String what = "manifest " + ref.repositoryName() + (byDigest ? "@" : ":") + reference;
        Access access = Access.pull(ref);
        return fallback.run(hosts.hosts(ref.registry(), byDigest ? Capability.PULL : Capability.RESOLVE), what,
                host -> {
                    Request request = new Request.Builder()
                            .url(host.baseUrl() + "/" + ref.repository() + "/manifests/" + reference)
                            .header("Accept", MediaTypes.MANIFEST_ACCEPT)
                            .build();
                    try (Exchange ex = transport.send(host, access, request, true)) {
                        if (ex.code() != 200) {
                            throw HttpTransport.failure(ex.response(), what);
                        }
                        byte[] bytes = HttpTransport.readBounded(ex.response(), MAX_MANIFEST_SIZE, what);
                        Digest digest = expected;
                        if (digest == null) {
                            String header = ex.header("Docker-Content-Digest");
                            digest = header != null ? headerDigest(header, what) : Digest.sha256(bytes);
                        }
                        if (!digest.matches(bytes)) {
                            throw new DigestMismatchException(what + " from " + host, digest,
                                    Digest.sha256(bytes).toString());
                        }
                        return ManifestContent.of(bytes, ex.header("Content-Type"), digest);
                    }
                });
    }

    private static Digest headerDigest(String header, String what) throws RegistryException {
        try {
            return Digest.parse(header.trim());
        } catch (IllegalArgumentException e) {
            throw new RegistryException(what + ": invalid Docker-Content-Digest header: " + e.getMessage());
        }
    }
}
