package io.jstargz.cli;

import io.jstargz.image.ImageLocation;
import io.jstargz.image.containerd.ContainerdConnection;
import io.jstargz.image.containerd.ImagePull;
import io.jstargz.image.containerd.PulledImage;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.Platform;
import io.jstargz.remote.RegistryClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jstargz pull REF}: what {@code ctr-remote image rpull} does. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Pull an image into containerd for the jstargz snapshotter, as ctr-remote image rpull does: "
            + "eStargz layers are mounted lazily from the registry, other layers are downloaded and unpacked.",
            "Prints a line per layer, then the image's name for ctr run --snapshotter jstargz."})
final class PullCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "REF", description = "The image, as HOST/REPO:TAG or HOST/REPO@DIGEST "
            + "(or docker://HOST/REPO:TAG).")
    String reference;

    @Option(names = {"-a", "--address"}, paramLabel = "SOCKET",
            description = "containerd's socket. Default: /run/containerd/containerd.sock.")
    Path address = ImageLocation.Containerd.DEFAULT_SOCKET;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
            description = "containerd's namespace. Default: $CONTAINERD_NAMESPACE, else default.")
    String namespace = System.getenv().getOrDefault("CONTAINERD_NAMESPACE",
            ImageLocation.Containerd.DEFAULT_NAMESPACE);

    @Option(names = "--snapshotter", paramLabel = "NAME",
            description = "The snapshotter, as containerd's config names the proxy plugin. Default: jstargz.")
    String snapshotter = "jstargz";

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "The platform to pull from a multi-platform image. Default: this machine's.")
    String platform;

    @Option(names = "--plain-http", description = "Reach the registry over plain HTTP (registries on loopback "
            + "addresses are, unless their hosts.toml says otherwise).")
    boolean plainHttp;

    @Mixin
    HostsDirOption hosts;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        ImageReference ref;
        Platform chosen;
        try {
            ref = ImageReference.parse(reference.startsWith("docker://")
                    ? reference.substring("docker://".length()) : reference);
            chosen = platform == null ? Platform.current() : Platform.parse(platform);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
        PrintWriter out = cmd.getOut();
        PulledImage image;
        try (RegistryClient registry = hosts.registry(plainHttp ? Set.of(ref.registry()) : Set.of());
             ContainerdConnection containerd = ContainerdConnection.open(address, namespace, "jstargz pull")) {
            image = new ImagePull(containerd, registry, snapshotter, out::println).pull(ref, chosen);
        }
        Map<PulledImage.Outcome, Long> counts = image.layers().stream()
                .collect(Collectors.groupingBy(PulledImage.Layer::outcome, Collectors.counting()));
        out.printf("pulled %s (%s): %d layers mounted lazily, %d unpacked, %d already there%n", image.name(),
                image.manifest().digest(), counts.getOrDefault(PulledImage.Outcome.REMOTE, 0L),
                counts.getOrDefault(PulledImage.Outcome.UNPACKED, 0L),
                counts.getOrDefault(PulledImage.Outcome.PRESENT, 0L));
        return 0;
    }
}
