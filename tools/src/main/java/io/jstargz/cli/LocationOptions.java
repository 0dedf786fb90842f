package io.jstargz.cli;

import io.jstargz.image.ImageLocation;
import io.jstargz.remote.RegistryClient;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Where the image commands find images: the registry's hosts.toml directory, and containerd for containerd:NAME. */
final class LocationOptions {

    @Option(names = "--containerd-address", paramLabel = "SOCKET",
            description = "containerd's socket, for containerd:NAME. Default: /run/containerd/containerd.sock.")
    Path containerdAddress = ImageLocation.Containerd.DEFAULT_SOCKET;

    @Option(names = "--containerd-namespace", paramLabel = "NS",
            description = "containerd's namespace, for containerd:NAME. Default: $CONTAINERD_NAMESPACE, else default.")
    String containerdNamespace = System.getenv().getOrDefault("CONTAINERD_NAMESPACE",
            ImageLocation.Containerd.DEFAULT_NAMESPACE);

    @CommandLine.Mixin
    HostsDirOption hosts;

    /** The location as the user wrote it, or a usage error naming what is wrong with it. */
    ImageLocation location(CommandLine cmd, String location) {
        ImageLocation parsed;
        try {
            parsed = ImageLocation.parse(location);
        } catch (IllegalArgumentException e) {
            localPathHint(cmd, location);
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
        if (parsed instanceof ImageLocation.Registry) {
            localPathHint(cmd, location);
        }
        return parsed instanceof ImageLocation.Containerd c ? c.at(containerdAddress, containerdNamespace) : parsed;
    }

    /** A name without a transport is a registry reference, even when a file of that name is here: say so. */
    private static void localPathHint(CommandLine cmd, String location) {
        Path path = Path.of(location);
        if (Files.exists(path)) {
            throw new CommandLine.ParameterException(cmd, "'" + location + "' is taken for a registry reference,"
                    + " but it is a local " + (Files.isDirectory(path) ? "directory" : "file") + ": write"
                    + " docker-archive:" + location + " for a docker save archive, or oci:" + location
                    + " for an OCI image layout");
        }
    }

    RegistryClient registry() {
        return hosts.registry();
    }
}
