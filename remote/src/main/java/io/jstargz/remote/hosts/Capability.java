package io.jstargz.remote.hosts;

/** What a registry host may be used for, as in containerd's hosts.toml {@code capabilities}. */
public enum Capability {
    /** Fetch blobs, and manifests by digest. */
    PULL,
    /** Resolve tags to digests. */
    RESOLVE,
    /** Upload blobs and manifests. */
    PUSH
}
