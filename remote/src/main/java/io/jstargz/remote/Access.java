package io.jstargz.remote;

import java.util.List;

/**
 * What a registry request is for: the image on whose behalf it is made (credentials are asked for that image's
 * reference, so two images of one registry can use different secrets) and the token scopes it needs.
 *
 * @param image  the image reference the request serves
 * @param scopes token scopes, e.g. {@code repository:library/busybox:pull}
 */
record Access(ImageReference image, List<String> scopes) {
    Access {
        scopes = List.copyOf(scopes);
    }

    /** Reading from {@code image}'s repository. */
    static Access pull(ImageReference image) {
        return new Access(image, List.of("repository:" + image.repository() + ":pull"));
    }

    /** Writing to {@code image}'s repository, and reading from {@code mountFrom}'s when it is not null. */
    static Access push(ImageReference image, ImageReference mountFrom) {
        String push = "repository:" + image.repository() + ":pull,push";
        return new Access(image, mountFrom == null ? List.of(push)
                : List.of(push, "repository:" + mountFrom.repository() + ":pull"));
    }

    /** The reference credentials are asked for. */
    String reference() {
        return image.toString();
    }
}
