package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.mount.MountTable;
import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.BusyboxImage;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.ContainerdRelease;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, end to end: a running container keeps reading its lazily pulled image while the daemon is upgraded and
 * while it crashes. Real: the registry on 127.0.0.1, containerd and runc, {@code bin/jstargz serve} (JDK 25, kernel
 * FUSE binding), the FUSE mounts, and the container, whose command ({@link ReadLoop}) checks the sha256 of every file
 * of the image in a loop. Played: systemd, by {@code fdstore.py} (its fd store, {@code Restart=always} and
 * {@code ExecReload=}). The test drops the host's page cache before and after each event, so the container's next
 * reads go to FUSE. In this order, one container throughout (a) and (b):
 * <ol>
 * <li>(a) handovers ({@code jstargz serve --takeover}, as {@code systemctl reload} starts it): no read fails, no byte
 * is wrong, the container runs on, and the same layers stay mounted on the same mounts;</li>
 * <li>(b) {@code kill -9} of the daemon under the fd store: the container runs on, and every read after the
 * restart is correct, those of a file that a process of the container holds open across the kills too (FUSE
 * passthrough is on, as by default); the reads that failed in the crash windows are counted and printed, not
 * asserted;</li>
 * <li>(c) {@code kill -9} without the fd store: the container's reads end with errors (or the container ends)
 * within a bound, nothing hangs, and once the daemon is back a new container works.</li>
 * </ol>
 * The 10 handovers and 10 kills run on the default containerd; the build's second containerd runs 2 of
 * each, which keeps that run short and still covers its snapshotter calls across a handover and a crash. On jnr-fuse
 * ({@code -Djstargz.fuse.binding=jnr}) mounts end with their daemon: (a) and (b) check what docs/daemon.md says
 * instead (status, and a takeover that is refused while the container reads on), and (c) runs as on the kernel.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerSurvivalIT {
    private static final String NS = "jstargz-survive";
    private static final String SURVIVOR = "survivor";
    private static final String VICTIM = "victim";
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    /** How long the reads of a container may take to end once its daemon died without the fd store. */
    private static final Duration NO_HANG = Duration.ofSeconds(60);
    /** Mounts outlive their daemon only on the kernel binding; on jnr-fuse the tests check what the docs say. */
    private static final boolean KERNEL = DaemonProcess.expectedFuseBinding().equals("kernel");
    private static final int ROUNDS = ContainerdRelease.underTest().equals(ContainerdRelease.V1_6) ? 10 : 2;
    private static final int FILES = 40;
    /** The file a process of the container holds open across the kills, and the read loop opens again each pass. */
    private static final String HELD = "/data/file-00";
    private static final Pattern TOOK_OVER = Pattern.compile("took over from pid \\d+: (\\d+) layer mounts adopted,"
            + " serving (\\d+) ms after asking");
    private static final Pattern READY_AFTER = Pattern.compile("fdstore: ready \\d+ (\\d+) ms after the");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tmp;
    private RegistryServer registry;
    private Containerd containerd;
    private DaemonProcess daemon;
    /**
     * The daemons under the fd store: no warm-up (each of the many would spend seconds of the 2 cores on it), and
     * debug level, whose line for each connection on the socket tells when containerd has dialled a restarted daemon.
     */
    private Path config;
    /**
     * The same root and socket for the daemons without it, which warm up as by default and log at debug level: their
     * warm-up's connection to their own socket and the connections' log lines are what
     * {@link DaemonProcess#awaitContainerdConnected} waits for.
     */
    private Path plainConfig;
    private Path socket;
    private TestImage image;
    private ReadLoop survivor;
    private Map<String, String> layers;
    private String snapshots;
    /** The sha256 of each file of the image's data layer, by path in the container. */
    private final Map<String, String> sums = new TreeMap<>();
    /** fdstore.py's ready events so far: the first start, each handover and each restart. */
    private int readies;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryServer.start();
        try (RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
            image = TestImage.pushEstargz(client, registry.host() + "/survive/busybox:esgz",
                    List.of(BusyboxImage.baseLayer(), filesAndTheirSums()), List.of());
        }
        socket = tmp.resolve("run/jstargz.sock");
        config = config("config.toml", "warm_up = false\nlog_level = \"debug\"\n");
        plainConfig = config("plain.toml", "log_level = \"debug\"\n");
        daemon = DaemonProcess.underFdStore(config, socket, tmp.resolve("jstargz.log"), tmp.resolve("notify.sock"));
        readies = 1;
        containerd = Containerd.start(new Containerd.Options(tmp.resolve("containerd"), socket, tmp.resolve("root"),
                false));
        containerd.ctrRemote(NS, "image", "rpull", "--plain-http", "--snapshotter", Containerd.SNAPSHOTTER,
                image.ref()).orThrow();
        survivor = runReadLoop(SURVIVOR);
        survivor.awaitPass(1, DEADLINE);
        layers = layers();
        snapshots = snapshots();
        assertEquals(image.layerDigests().size(), layers.size(), "every layer is mounted lazily: " + layers);
    }

    @AfterAll
    void stop() throws Exception {
        try (AutoCloseable r = registry; AutoCloseable d = daemon) {
            if (containerd != null) {
                // runc keeps its containers' state outside containerd's directory: a failed run must not leave them
                for (String c : List.of(SURVIVOR, VICTIM)) {
                    containerd.ctr(NS, "task", "kill", "--signal", "SIGKILL", c);
                    containerd.ctr(NS, "task", "delete", c);
                    containerd.ctr(NS, "container", "delete", c);
                }
                containerd.close();
            }
        }
    }

    /** A configuration of the test's root and socket, with {@code settings}; FUSE passthrough on, by default. */
    private Path config(String name, String settings) throws IOException {
        return Files.writeString(tmp.resolve(name), "root = \"" + tmp.resolve("root") + "\"\n"
                + "address = \"" + socket + "\"\n" + settings
                + "[registry]\nhosts_dir = \"" + tmp.resolve("certs.d") + "\"\n" + DaemonProcess.fuseConfig());
    }

    /**
     * {@value #FILES} files of 1 byte to 256 KiB of random bytes, and their list for {@code sha256sum}; the sha256 of
     * each goes in {@link #sums} too.
     */
    private LayerBuilder filesAndTheirSums() throws Exception {
        Random random = new Random(13);
        LayerBuilder layer = new LayerBuilder();
        StringBuilder sums = new StringBuilder();
        for (int i = 0; i < FILES; i++) {
            byte[] content = new byte[1 + random.nextInt(256 << 10)];
            random.nextBytes(content);
            String path = String.format("data/file-%02d", i);
            layer.file(path, content, 0644);
            String sum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
            this.sums.put("/" + path, sum);
            sums.append(sum).append("  /").append(path).append('\n');
        }
        return layer.file(ReadLoop.SUMS.substring(1), sums.toString());
    }

    /**
     * Starts a container of the image running {@link ReadLoop#command()}, its passes in a directory of its own.
     * {@code ctr run} stays in the foreground (ctr 1.6 has no {@code task wait}), and writes the task's exit status
     * beside the passes when it ends: a test waiting for a pass then fails at once.
     */
    private ReadLoop runReadLoop(String container) throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out-" + container));
        List<String> command = new ArrayList<>(List.of("sh", "-c", "\"$@\" > '" + out + "/ctr.log' 2>&1;"
                + " echo \"exit status $?\" > '" + out + "/" + ReadLoop.EXITED + "'", "ctr",
                containerd.release().ctr().toString(), "--address", containerd.address().toString(), "--namespace", NS,
                "run", "--rm", "--null-io", "--snapshotter", Containerd.SNAPSHOTTER, "--mount",
                "type=bind,src=" + out + ",dst=/out,options=rbind:rw", image.ref(), container));
        command.addAll(ReadLoop.command());
        new ProcessBuilder(command).start().getOutputStream().close();
        return new ReadLoop(out, FILES);
    }

    /** The status of {@code container}'s task in {@code ctr task ls} (RUNNING, STOPPED), or "" if it has none. */
    private String taskStatus(String container) throws IOException {
        return containerd.ctr(NS, "task", "ls").orThrow().lines().map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length == 3 && f[0].equals(container)).map(f -> f[2]).findFirst().orElse("");
    }

    /** Kills {@code container}'s task and waits for {@code ctr run --rm} to have removed the container. */
    private void removeContainer(String container, ReadLoop loop) throws Exception {
        if (loop.exited().isEmpty()) {
            containerd.ctr(NS, "task", "kill", "--signal", "SIGKILL", container); // it may end meanwhile
        }
        loop.await(DEADLINE, "end of container " + container, () -> loop.exited().isPresent());
    }

    /**
     * The image's layers as {@code jstargz status --json} shows them, by snapshot name: state, mount point, and the
     * mount's device (a mount adopted keeps its device; one made again gets another).
     */
    private Map<String, String> layers() throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, JsonNode> s : daemon.status().entrySet()) {
            JsonNode r = s.getValue().path("remote");
            if (image.layerDigests().contains(r.path("layerDigest").asText())) {
                Path mountPoint = Path.of(r.get("mountPoint").asText());
                out.put(s.getKey(), r.get("state").asText() + " " + mountPoint + " "
                        + MountTable.at(mountPoint).map(MountTable.Mount::device).orElse("not mounted"));
            }
        }
        return out;
    }

    private String snapshots() throws IOException {
        return containerd.ctr(NS, "snapshots", "--snapshotter", Containerd.SNAPSHOTTER, "ls").orThrow();
    }

    private static void dropPageCache() throws IOException {
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    }

    /** The container still runs, the same layers are mounted on the same mounts, containerd has the same snapshots. */
    private void assertSameAfter(String event) throws IOException {
        assertEquals("RUNNING", taskStatus(SURVIVOR), "the container runs after " + event);
        assertEquals(layers, layers(), "the same layers on the same mounts after " + event);
        assertEquals(snapshots, snapshots(), "containerd lists the same snapshots after " + event);
    }

    /**
     * Drops the page cache, then waits for a pass that began after that: the first read of each file after the
     * event goes to the daemon. Returns the number of the last pass before it.
     */
    private int awaitAPassAfter() throws Exception {
        dropPageCache();
        int last = survivor.last();
        survivor.awaitPass(last + 2, DEADLINE);
        return last + 1;
    }

    @Test
    @Order(1)
    void aRunningContainerReadsThroughTenHandoversWithoutAFailedRead() throws Exception {
        String upgrade = daemon.statusJson().get("upgrade").asText();
        if (!KERNEL) {
            jnrRefusesTheTakeover(upgrade);
            return;
        }
        assertTrue(upgrade.startsWith("layers survive an upgrade"), upgrade);
        List<Long> serving = new ArrayList<>();
        List<Long> ready = new ArrayList<>();
        int first = survivor.last() + 1;
        for (int i = 1; i <= ROUNDS; i++) {
            dropPageCache();
            daemon.fdStore("reload");
            Matcher took = TOOK_OVER.matcher(daemon.awaitNthLog(DEADLINE, i, "took over from pid"));
            assertTrue(took.find());
            assertEquals(Integer.toString(layers.size()), took.group(1), "the new daemon adopted every layer mount");
            serving.add(Long.parseLong(took.group(2)));
            daemon.awaitNthLog(DEADLINE, i, "fdstore: mainpid");
            assertEquals("fdstore: exited 0", daemon.awaitNthLog(DEADLINE, i, "fdstore: exited"),
                    "the old daemon exits cleanly after handover " + i);
            ready.add(readyAfter(++readies));
            awaitAPassAfter();
            assertSameAfter("handover " + i);
        }
        List<ReadLoop.Pass> passes = survivor.between(first, survivor.last());
        for (ReadLoop.Pass p : passes) {
            assertEquals(0, p.wrong(), "no wrong bytes: " + p);
            assertEquals(0, p.failed(FILES), "no read failed during the handovers: " + p);
        }
        System.out.println("container survival: " + ROUNDS + " handovers, 0 of " + passes.size() * FILES
                + " reads failed, 0 wrong; the new daemon served the handed-over mounts, ms after asking: " + serving
                + "; was ready, ms after the reload: " + ready);
    }

    @Test
    @Order(2)
    void aRunningContainerReadsOnAfterTenKillsUnderTheFdStore() throws Exception {
        String crash = daemon.statusJson().get("crashSurvival").asText();
        if (!KERNEL) {
            assertTrue(crash.startsWith("layers end with a crash of the daemon: the jnr FUSE binding cannot keep"),
                    "on jnr-fuse, even under the fd store, a crash ends the layers (docs/daemon.md): " + crash);
            return;
        }
        assertTrue(crash.startsWith("layers survive a crash"), crash);
        Process holder = holdOpen();
        List<Integer> failedPerCrash = new ArrayList<>();
        List<Long> ready = new ArrayList<>();
        int reads = 0;
        int before = survivor.last();
        for (int i = 1; i <= ROUNDS; i++) {
            int killedAt = survivor.last();
            int connections = daemon.connections();
            dropPageCache();
            daemon.fdStore("kill");
            ready.add(readyAfter(++readies));
            daemon.awaitContainerdConnected(containerd, NS, connections + 1);
            int windowEnd = awaitAPassAfter();
            int failed = 0;
            for (ReadLoop.Pass p : survivor.between(killedAt + 1, windowEnd)) {
                assertEquals(0, p.wrong(), "no wrong bytes in crash window " + i + ": " + p);
                failed += p.failed(FILES);
                reads += FILES;
            }
            failedPerCrash.add(failed);
            for (ReadLoop.Pass p : survivor.between(before + 1, killedAt)) {
                assertEquals(0, p.wrong(), "no wrong bytes: " + p);
                assertEquals(0, p.failed(FILES), "every read between crash windows is correct: " + p);
            }
            before = windowEnd;
            assertSameAfter("restart " + i);
        }
        for (ReadLoop.Pass p : survivor.between(before + 1, survivor.last())) {
            assertEquals(0, p.failed(FILES) + p.wrong(), "every read after the last restart is correct: " + p);
        }
        String sum = sums.get(HELD);
        assertEquals(List.of(sum + "  -", sum + "  " + HELD), releaseHeld(holder),
                "the file held open across the kills reads right through its descriptor, and opened again");
        System.out.println("container survival: " + ROUNDS + " kills under the fd store; reads that failed in each"
                + " crash window: " + failedPerCrash + " (of " + reads + " reads in the windows; reads that failed,"
                + " by pass: " + survivor.failedReads() + "); restarted daemon ready, ms after the kill: "
                + ready);
    }

    @Test
    @Order(3)
    void withoutTheFdStoreAKillEndsTheContainersReadsWithoutAHang() throws Exception {
        removeContainer(SURVIVOR, survivor);
        daemon.stop();
        daemon = DaemonProcess.start(plainConfig, socket, tmp.resolve("jstargz-plain.log"));
        for (String digest : image.layerDigests()) {
            daemon.awaitLog(DEADLINE, digest, "mounted lazily", "(restored");
        }
        daemon.awaitContainerdConnected(containerd, NS);
        assertTrue(daemon.statusJson().get("crashSurvival").asText().startsWith("layers end with a crash"),
                "without NOTIFY_SOCKET, status says a crash ends the layers");
        ReadLoop victim = runReadLoop(VICTIM);
        victim.awaitPass(1, DEADLINE);
        int last = victim.last();

        long killed = System.nanoTime();
        daemon.kill();
        dropPageCache();
        victim.await(NO_HANG, "failed read or exit of the container after the kill", () -> victim.exited().isPresent()
                || victim.passes().stream().anyMatch(p -> p.n() > last && p.failed(FILES) > 0));
        long endedMs = (System.nanoTime() - killed) / 1_000_000;
        for (ReadLoop.Pass p : victim.passes()) {
            assertEquals(0, p.wrong(), "no wrong bytes: " + p);
        }
        String how = victim.exited().map(e -> "the container ended (" + e + ")")
                .orElseGet(() -> "a pass had failed reads");

        daemon = DaemonProcess.start(plainConfig, socket, tmp.resolve("jstargz-plain.log"));
        for (String digest : image.layerDigests()) {
            daemon.awaitLog(DEADLINE, digest, "mounted lazily", "(restored");
        }
        daemon.awaitContainerdConnected(containerd, NS);
        String check = containerd.ctr(NS, "run", "--rm", "--snapshotter", Containerd.SNAPSHOTTER, image.ref(),
                "after-crash", "sha256sum", "-c", ReadLoop.SUMS).orThrow();
        assertEquals(FILES, check.lines().filter(l -> l.endsWith(": OK")).count(), check);
        removeContainer(VICTIM, victim);
        System.out.println("container survival: kill -9 without the fd store: the reads ended " + endedMs
                + " ms after the kill: " + how + "; a new container read every file correctly");
    }

    /**
     * On jnr-fuse (docs/daemon.md, Upgrades): the daemon does not listen for a handover, so a second daemon started
     * with {@code --takeover} finds none, and stops on the root's lock; the running daemon and the container's reads
     * are left as they were.
     */
    private void jnrRefusesTheTakeover(String upgrade) throws Exception {
        assertTrue(upgrade.startsWith("layers end with an upgrade: the jnr FUSE binding cannot hand"), upgrade);
        assertEquals(1, daemon.logLines("upgrades: no handover to a new daemon").size());
        int first = survivor.last() + 1;
        CommandResult refused = Command.of(DaemonProcess.CLI.toString(), "serve", "--config", config.toString(),
                "--takeover").withEnv(Map.of("JSTARGZ_NO_TRAINING", "1")).run(DEADLINE);
        assertTrue(refused.exitCode() != 0 && refused.output().contains("another jstargz daemon is using root"),
                refused.output());
        awaitAPassAfter();
        assertSameAfter("a refused takeover");
        for (ReadLoop.Pass p : survivor.between(first, survivor.last())) {
            assertEquals(0, p.failed(FILES) + p.wrong(), "the reads go on: " + p);
        }
    }

    /**
     * Starts a process in the running container that holds {@link #HELD} open ({@code exec 3<}) until it reads a line
     * on its standard input, and then writes to {@code /out/held} the sha256 of what it reads through that
     * descriptor, then of the file opened again. Returns once it holds the file. Every pass of the read loop opens
     * the file again meanwhile: after a crash, the kernel fails such an open unless the new daemon reads the file as
     * the dead one did (passed through to the same backing id, or served), which it learns from the table of open
     * inodes the dead one kept on disk.
     */
    private Process holdOpen() throws Exception {
        Process holder = new ProcessBuilder(containerd.release().ctr().toString(), "--address",
                containerd.address().toString(), "--namespace", NS, "task", "exec", "--exec-id", "holder", SURVIVOR,
                "sh", "-c", "exec 3< " + HELD + " && echo holding > /out/holding && read go"
                        + " && { sha256sum <&3; sha256sum " + HELD + "; } > /out/held")
                .redirectErrorStream(true).redirectOutput(survivor.dir().resolve("holder.log").toFile()).start();
        survivor.await(DEADLINE, "the holder of " + HELD, () -> Files.exists(survivor.dir().resolve("holding")));
        return holder;
    }

    /** Lets the holder go: the lines it wrote, the sha256 through its descriptor and of the file opened again. */
    private List<String> releaseHeld(Process holder) throws Exception {
        holder.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
        holder.getOutputStream().flush();
        Path held = survivor.dir().resolve("held");
        survivor.await(DEADLINE, "the held file's sums", () -> Files.exists(held)
                && Files.readAllLines(held).size() >= 2);
        return Files.readAllLines(held);
    }

    /** The {@code n}-th ready event of fdstore.py: ms from its kill or reload to the daemon's READY=1. */
    private long readyAfter(int n) throws Exception {
        Matcher m = READY_AFTER.matcher(daemon.awaitNthLog(DEADLINE, n, "fdstore: ready"));
        assertTrue(m.find());
        return Long.parseLong(m.group(1));
    }
}
