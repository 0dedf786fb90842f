package io.jstargz.remote;

import java.util.regex.Pattern;

/**
 * An image reference as users write it, normalized like docker and containerd do: {@code busybox} is
 * {@code docker.io/library/busybox:latest}; {@code host:5000/a/b@sha256:…} keeps its registry and digest. A
 * reference with a digest is pinned: the tag, if any, is informational.
 *
 * @param registry   the registry host as written ({@code docker.io}, {@code host:5000}, {@code [::1]:5000})
 * @param repository the repository path ({@code library/busybox})
 * @param tag        the tag, or {@code null} when only a digest was given
 * @param digest     the manifest digest, or {@code null}
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {

    /** The registry name docker uses for Docker Hub. */
    public static final String DOCKER_HUB = "docker.io";
    private static final String DEFAULT_TAG = "latest";
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern REGISTRY = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
                    + "|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?");

    public ImageReference {
        if (!REGISTRY.matcher(registry).matches()) {
            throw new IllegalArgumentException("invalid registry host '" + registry + "'");
        }
        for (String component : repository.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw new IllegalArgumentException("invalid repository '" + repository
                        + "': path components are lowercase letters, digits and separators . _ __ -");
            }
        }
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw new IllegalArgumentException("invalid tag '" + tag + "'");
        }
        if (tag == null && digest == null) {
            throw new IllegalArgumentException("a reference needs a tag or a digest");
        }
    }

    /**
     * Parses a reference: {@code [registry/]repository[:tag][@digest]}. The first path component is a registry when
     * it contains a dot or a colon or is {@code localhost}; otherwise the registry is Docker Hub, where a single
     * component gets the {@code library/} prefix. The tag defaults to {@code latest} when there is no digest.
     */
    public static ImageReference parse(String reference) {
        String rest = reference;
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            try {
                digest = Digest.parse(rest.substring(at + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid image reference '" + reference + "': " + e.getMessage(), e);
            }
            rest = rest.substring(0, at);
        }
        String tag = null;
        int lastSlash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > lastSlash) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("[")) {
                registry = first;
                rest = rest.substring(slash + 1);
            }
        }
        if (registry.equals("index.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
            rest = "library/" + rest;
        }
        if (tag == null && digest == null) {
            tag = DEFAULT_TAG;
        }
        try {
            return new ImageReference(registry, rest, tag, digest);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid image reference '" + reference + "': " + e.getMessage(), e);
        }
    }

    /** This image pinned to {@code manifestDigest} (the tag is kept for display). */
    public ImageReference withDigest(Digest manifestDigest) {
        return new ImageReference(registry, repository, tag, manifestDigest);
    }

    /** What goes after {@code /manifests/}: the digest when pinned, else the tag. */
    public String manifestReference() {
        return digest != null ? digest.toString() : tag;
    }

    /** {@code registry/repository}, without tag or digest: the unit of auth scopes and blob storage. */
    public String repositoryName() {
        return registry + "/" + repository;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(repositoryName());
        if (tag != null) {
            s.append(':').append(tag);
        }
        if (digest != null) {
            s.append('@').append(digest);
        }
        return s.toString();
    }
}
