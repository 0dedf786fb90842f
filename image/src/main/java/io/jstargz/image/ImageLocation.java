package io.jstargz.image;

import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where an image is, as users name it (the transports of skopeo and containers/image): an OCI image layout directory
 * {@code oci:DIR[:TAG]}, a {@code docker save} archive {@code docker-archive:FILE[:REF]}, an image in containerd's
 * content store {@code containerd:NAME} (as {@code ctr image ls} names it), or a registry {@code docker://HOST/REPO:TAG}
 * (the {@code docker://} prefix may be left out).
 */
public sealed interface ImageLocation {

    /** Opens the image here for reading; {@code registry} serves registry locations. */
    default ImageSource openSource(RegistryClient registry) throws IOException {
        if (this instanceof OciLayout l) {
            return new OciLayoutSource(l.dir(), l.tag());
        }
        if (this instanceof DockerArchive a) {
            return DockerArchiveSource.open(a.file(), a.ref());
        }
        if (this instanceof Containerd c) {
            return new ContainerdSource(c);
        }
        return new RegistrySource(registry, ((Registry) this).reference());
    }

    /**
     * Opens this location for writing; temporary files go under {@code tempBase} (null: {@code java.io.tmpdir})
     * unless the destination is a directory, where they stay on its file system.
     */
    default ImageSink openSink(RegistryClient registry, Path tempBase) throws IOException {
        if (this instanceof OciLayout l) {
            return new OciLayoutSink(l.dir(), l.tag());
        }
        if (this instanceof DockerArchive || this instanceof Containerd) {
            throw new IllegalArgumentException(this + " is a source only; write to oci:DIR[:TAG] or a registry");
        }
        return new RegistrySink(registry, ((Registry) this).reference(), tempBase);
    }

    /**
     * An OCI image layout.
     *
     * @param tag the {@code org.opencontainers.image.ref.name} annotation in {@code index.json}, or {@code null}
     */
    record OciLayout(Path dir, String tag) implements ImageLocation {
        @Override
        public String toString() {
            return "oci:" + dir + (tag == null ? "" : ":" + tag);
        }
    }

    /**
     * A {@code docker save} archive (a source only).
     *
     * @param ref one of the archive's {@code RepoTags}, or {@code null} when it holds a single image
     */
    record DockerArchive(Path file, String ref) implements ImageLocation {
        @Override
        public String toString() {
            return "docker-archive:" + file + (ref == null ? "" : ":" + ref);
        }
    }

    /**
     * An image in containerd's content store (a source only).
     *
     * @param socket    containerd's socket
     * @param namespace containerd's namespace the image is in
     * @param name      the image's name, as {@code ctr image ls} shows it
     */
    record Containerd(Path socket, String namespace, String name) implements ImageLocation {
        /** containerd's default socket. */
        public static final Path DEFAULT_SOCKET = Path.of("/run/containerd/containerd.sock");
        /** containerd's default namespace (ctr's, and ctr-remote's). */
        public static final String DEFAULT_NAMESPACE = "default";

        /** This image reached through another socket and namespace. */
        public Containerd at(Path otherSocket, String otherNamespace) {
            return new Containerd(otherSocket, otherNamespace, name);
        }

        @Override
        public String toString() {
            return "containerd:" + name + " (namespace " + namespace + ", " + socket + ")";
        }
    }

    /** An image in a registry. */
    record Registry(ImageReference reference) implements ImageLocation {
        @Override
        public String toString() {
            return "docker://" + reference;
        }
    }

    /**
     * Parses a location. As in skopeo, the path of {@code oci:} and {@code docker-archive:} ends at the first colon.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static ImageLocation parse(String location) {
        if (location.startsWith("oci:")) {
            String[] pathAndTag = splitPath(location, "oci:");
            return new OciLayout(Path.of(pathAndTag[0]), pathAndTag[1]);
        }
        if (location.startsWith("docker-archive:")) {
            String[] pathAndRef = splitPath(location, "docker-archive:");
            return new DockerArchive(Path.of(pathAndRef[0]), pathAndRef[1]);
        }
        if (location.startsWith("containerd:")) {
            String name = location.substring("containerd:".length());
            if (name.isEmpty()) {
                throw new IllegalArgumentException("image location '" + location + "' names no image");
            }
            return new Containerd(Containerd.DEFAULT_SOCKET, Containerd.DEFAULT_NAMESPACE, name);
        }
        String ref = location.startsWith("docker://") ? location.substring("docker://".length()) : location;
        if (ref.contains("://") || ref.startsWith("oci-archive:") || ref.startsWith("dir:")
                || ref.startsWith("containers-storage:") || ref.startsWith("docker-daemon:")) {
            throw new IllegalArgumentException("unsupported image location '" + location
                    + "': use oci:DIR[:TAG], docker-archive:FILE, containerd:NAME or docker://HOST/REPO:TAG");
        }
        return new Registry(ImageReference.parse(ref));
    }

    private static String[] splitPath(String location, String prefix) {
        String rest = location.substring(prefix.length());
        int colon = rest.indexOf(':');
        String path = colon < 0 ? rest : rest.substring(0, colon);
        String name = colon < 0 || colon == rest.length() - 1 ? null : rest.substring(colon + 1);
        if (path.isEmpty()) {
            throw new IllegalArgumentException("image location '" + location + "' names no path");
        }
        return new String[] {path, name};
    }
}
