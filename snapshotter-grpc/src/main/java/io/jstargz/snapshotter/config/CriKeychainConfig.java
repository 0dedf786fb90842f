package io.jstargz.snapshotter.config;

import java.nio.file.Path;

/**
 * {@code [cri_keychain]}: the CRI ImageService proxy that lets jstargz use the pull secrets the kubelet sends.
 *
 * @param enable               serve it (off by default: nodes without Kubernetes have no use for it)
 * @param listenPath           the unix socket the kubelet is pointed at ({@code --image-service-endpoint})
 * @param imageServicePath     containerd's socket, where every call is forwarded unchanged
 * @param credentialTtlSeconds a recorded credential is forgotten this long after its pull at the latest (sooner when
 *                             its image's lazily pulled layers are all local or removed)
 */
public record CriKeychainConfig(boolean enable, Path listenPath, Path imageServicePath, long credentialTtlSeconds) {
    public CriKeychainConfig {
        ConfigChecks.require(listenPath.isAbsolute(), "cri_keychain.listen_path", "must be an absolute path");
        ConfigChecks.require(imageServicePath.isAbsolute(), "cri_keychain.image_service_path",
                "must be an absolute path");
        ConfigChecks.require(!listenPath.equals(imageServicePath), "cri_keychain.listen_path",
                "must differ from image_service_path (it would forward to itself)");
        ConfigChecks.require(credentialTtlSeconds > 0, "cri_keychain.credential_ttl_seconds", "must be > 0");
    }

    static CriKeychainConfig defaults() {
        return new CriKeychainConfig(false, Path.of("/run/jstargz/cri-keychain.sock"),
                Path.of("/run/containerd/containerd.sock"), 86400);
    }
}
