package io.jstargz.snapshotter.keychain;

import io.jstargz.remote.ImageReference;
import io.jstargz.remote.auth.Credentials;
import io.jstargz.snapshotter.proto.cri.AuthConfig;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The credentials one CRI PullImage came with, for its image.
 *
 * @param reference     the image, as {@link #key} normalizes it
 * @param credentials   what to authenticate with
 * @param serverAddress the registry the kubelet's secret names ({@code AuthConfig.server_address}), or {@code ""}:
 *                      then the credentials go to every host the image is read from, as containerd sends them
 * @param recorded      when the pull came
 */
record PullCredential(String reference, Credentials credentials, String serverAddress, Instant recorded) {

    /**
     * The credentials of an {@code AuthConfig}, read as containerd's CRI plugin reads them: a user name (with its
     * password), else an identity token, else {@code auth} (base64 of {@code user:password}). A registry token alone
     * is not supported (nor by containerd): then there are none.
     *
     * @throws IllegalArgumentException when {@code auth} is not base64 of {@code user:password}; the message never
     *                                  quotes it
     */
    static Optional<Credentials> credentials(AuthConfig auth) {
        if (!auth.getUsername().isEmpty()) {
            return Optional.of(Credentials.basic(auth.getUsername(), auth.getPassword()));
        }
        if (!auth.getIdentityToken().isEmpty()) {
            return Optional.of(Credentials.identityToken("", auth.getIdentityToken()));
        }
        if (!auth.getAuth().isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.getAuth().strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("its auth field is not valid base64");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("its auth field does not decode to user:password");
            }
            return Optional.of(Credentials.basic(decoded.substring(0, colon), decoded.substring(colon + 1)));
        }
        return Optional.empty();
    }

    /**
     * The key an image's credentials are kept under: its reference normalized as containerd normalizes the one it
     * labels snapshots with ({@code busybox} is {@code docker.io/library/busybox:latest}; with a digest the tag is
     * dropped), so the reference of a PullImage and the one a layer's Prepare names meet.
     *
     * @throws IllegalArgumentException if it is not a valid reference
     */
    static String key(String reference) {
        ImageReference r = ImageReference.parse(reference);
        return r.digest() == null ? r.toString()
                : new ImageReference(r.registry(), r.repository(), null, r.digest()).toString();
    }

    /** Whether these credentials may go to {@code host}: any host when the secret names no registry. */
    boolean servesHost(String host) {
        if (serverAddress.isEmpty()) {
            return true;
        }
        String named = serverAddress.replaceFirst("^https?://", "");
        int slash = named.indexOf('/');
        named = slash >= 0 ? named.substring(0, slash) : named;
        return dockerHub(named) ? dockerHub(host) : named.equals(host);
    }

    private static boolean dockerHub(String host) {
        return host.equals(ImageReference.DOCKER_HUB) || host.equals("index.docker.io")
                || host.equals("registry-1.docker.io");
    }
}
