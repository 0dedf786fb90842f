package io.jstargz.remote;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * How the registry client connects. Every field has a working default ({@link #defaults()}).
 *
 * @param hostsDir              containerd's {@code config_path}: {@code <hostsDir>/<host>/hosts.toml} configures
 *                              mirrors, TLS and headers per registry
 * @param dockerConfig          docker's {@code config.json} with {@code auths}, {@code credHelpers},
 *                              {@code credsStore}; a missing file means anonymous access
 * @param credentialHelperDirs  where {@code docker-credential-*} helpers are looked up; empty means {@code $PATH}
 * @param plainHttpLoopback     use plain HTTP for localhost, 127.0.0.0/8 and ::1 when no hosts.toml says
 *                              otherwise (like containerd)
 * @param plainHttpHosts        further registries ({@code host[:port]}) reached over plain HTTP by default
 * @param platform              the platform picked from an index
 * @param connectTimeout        TCP and TLS connect
 * @param readTimeout           longest silence while reading a response body
 * @param requestTimeout        whole request for buffered requests (manifests, tokens, ranges read into memory)
 * @param maxRetries            retries after the first attempt on connection errors, 5xx and 429
 * @param retryMinWait          first backoff; doubles per retry, with full jitter
 * @param retryMaxWait          longest single backoff ({@code Retry-After} is honoured within retryMaxElapsed)
 * @param retryMaxElapsed       no retry starts after this much time spent on one operation
 * @param maxConcurrentPerHost  requests in flight to one host at once
 * @param mirrorFailureBackoff  how long a failing mirror is skipped before it is tried again
 * @param resolveCacheTtl       how long a tag's resolution is reused
 * @param checkInterval         {@link RegistryBlobSource#check()} trusts a success this recent
 * @param tailFetchSize         when a layer's size is unknown, the suffix range request that learns it fetches this
 *                              many bytes from its end, for the estargz reader's tail read (match its tail size)
 * @param rangeCoalesceGap      ranges of one batch closer than this are fetched as one range
 * @param maxRangesPerRequest   ranges in one multi-range request
 * @param uploadChunkSize       blobs larger than this are uploaded in chunks of this size
 * @param userAgent             the {@code User-Agent} header
 */
public record RegistryConfig(Path hostsDir, Path dockerConfig, List<Path> credentialHelperDirs,
                             boolean plainHttpLoopback, Set<String> plainHttpHosts, Platform platform,
                             Duration connectTimeout, Duration readTimeout, Duration requestTimeout,
                             int maxRetries, Duration retryMinWait, Duration retryMaxWait, Duration retryMaxElapsed,
                             int maxConcurrentPerHost, Duration mirrorFailureBackoff, Duration resolveCacheTtl,
                             Duration checkInterval, int tailFetchSize, long rangeCoalesceGap,
                             int maxRangesPerRequest, long uploadChunkSize, String userAgent) {

    /** containerd's default {@code config_path} for hosts.toml files. */
    public static final Path DEFAULT_HOSTS_DIR = Path.of("/etc/containerd/certs.d");

    public RegistryConfig {
        credentialHelperDirs = List.copyOf(credentialHelperDirs);
        plainHttpHosts = Set.copyOf(plainHttpHosts);
        positive("maxConcurrentPerHost", maxConcurrentPerHost);
        positive("tailFetchSize", tailFetchSize);
        positive("maxRangesPerRequest", maxRangesPerRequest);
        positive("uploadChunkSize", uploadChunkSize);
        if (maxRetries < 0 || rangeCoalesceGap < 0) {
            throw new IllegalArgumentException("maxRetries and rangeCoalesceGap must not be negative");
        }
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /** The defaults: containerd's and docker's usual paths, 5 retries, 16 requests per host, 512 KiB tail fetch. */
    public static RegistryConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.hostsDir = hostsDir;
        b.dockerConfig = dockerConfig;
        b.credentialHelperDirs = credentialHelperDirs;
        b.plainHttpLoopback = plainHttpLoopback;
        b.plainHttpHosts = plainHttpHosts;
        b.platform = platform;
        b.connectTimeout = connectTimeout;
        b.readTimeout = readTimeout;
        b.requestTimeout = requestTimeout;
        b.maxRetries = maxRetries;
        b.retryMinWait = retryMinWait;
        b.retryMaxWait = retryMaxWait;
        b.retryMaxElapsed = retryMaxElapsed;
        b.maxConcurrentPerHost = maxConcurrentPerHost;
        b.mirrorFailureBackoff = mirrorFailureBackoff;
        b.resolveCacheTtl = resolveCacheTtl;
        b.checkInterval = checkInterval;
        b.tailFetchSize = tailFetchSize;
        b.rangeCoalesceGap = rangeCoalesceGap;
        b.maxRangesPerRequest = maxRangesPerRequest;
        b.uploadChunkSize = uploadChunkSize;
        b.userAgent = userAgent;
        return b;
    }

    /** {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}. */
    static Path defaultDockerConfig() {
        String dir = System.getenv("DOCKER_CONFIG");
        if (dir != null && !dir.isEmpty()) {
            return Path.of(dir, "config.json");
        }
        return Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    /** Builds a {@link RegistryConfig}; unset fields keep their defaults. */
    public static final class Builder {
        private Path hostsDir = DEFAULT_HOSTS_DIR;
        private Path dockerConfig = defaultDockerConfig();
        private List<Path> credentialHelperDirs = List.of();
        private boolean plainHttpLoopback = true;
        private Set<String> plainHttpHosts = Set.of();
        private Platform platform = Platform.current();
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(30);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private int maxRetries = 5;
        private Duration retryMinWait = Duration.ofMillis(50);
        private Duration retryMaxWait = Duration.ofSeconds(5);
        private Duration retryMaxElapsed = Duration.ofSeconds(60);
        private int maxConcurrentPerHost = 16;
        private Duration mirrorFailureBackoff = Duration.ofSeconds(30);
        private Duration resolveCacheTtl = Duration.ofSeconds(120);
        private Duration checkInterval = Duration.ofSeconds(60);
        private int tailFetchSize = 512 << 10;
        private long rangeCoalesceGap = 16 << 10;
        private int maxRangesPerRequest = 32;
        private long uploadChunkSize = 32L << 20;
        private String userAgent = "jstargz/0.1";

        private Builder() {
        }

        public Builder hostsDir(Path v) { hostsDir = v; return this; }
        public Builder dockerConfig(Path v) { dockerConfig = v; return this; }
        public Builder credentialHelperDirs(List<Path> v) { credentialHelperDirs = v; return this; }
        public Builder plainHttpLoopback(boolean v) { plainHttpLoopback = v; return this; }
        public Builder plainHttpHosts(Set<String> v) { plainHttpHosts = v; return this; }
        public Builder platform(Platform v) { platform = v; return this; }
        public Builder connectTimeout(Duration v) { connectTimeout = v; return this; }
        public Builder readTimeout(Duration v) { readTimeout = v; return this; }
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        public Builder maxRetries(int v) { maxRetries = v; return this; }
        public Builder retryMinWait(Duration v) { retryMinWait = v; return this; }
        public Builder retryMaxWait(Duration v) { retryMaxWait = v; return this; }
        public Builder retryMaxElapsed(Duration v) { retryMaxElapsed = v; return this; }
        public Builder maxConcurrentPerHost(int v) { maxConcurrentPerHost = v; return this; }
        public Builder mirrorFailureBackoff(Duration v) { mirrorFailureBackoff = v; return this; }
        public Builder resolveCacheTtl(Duration v) { resolveCacheTtl = v; return this; }
        public Builder checkInterval(Duration v) { checkInterval = v; return this; }
        public Builder tailFetchSize(int v) { tailFetchSize = v; return this; }
        public Builder rangeCoalesceGap(long v) { rangeCoalesceGap = v; return this; }
        public Builder maxRangesPerRequest(int v) { maxRangesPerRequest = v; return this; }
        public Builder uploadChunkSize(long v) { uploadChunkSize = v; return this; }
        public Builder userAgent(String v) { userAgent = v; return this; }

        public RegistryConfig build() {
            return new RegistryConfig(hostsDir, dockerConfig, credentialHelperDirs, plainHttpLoopback,
                    plainHttpHosts, platform, connectTimeout, readTimeout, requestTimeout, maxRetries, retryMinWait,
                    retryMaxWait, retryMaxElapsed, maxConcurrentPerHost, mirrorFailureBackoff, resolveCacheTtl,
                    checkInterval, tailFetchSize, rangeCoalesceGap, maxRangesPerRequest, uploadChunkSize,
                    userAgent);
        }
    }
}
