package io.jstargz.cli;

import static io.jstargz.cli.BlobCommandsTest.jstargz;
import static io.jstargz.cli.BlobCommandsTest.vector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.BuildInfo;
import io.jstargz.cli.BlobCommandsTest.Run;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an operator reads when the input is wrong: one line, in the command line's and the config's own words. */
class OperatorMessagesTest {
    @TempDir
    Path tmp;

    @Test
    void theLogLevelFlagIsNamedWithItsValuesInOrder() {
        Run r = jstargz("serve", "--root", tmp.resolve("root").toString(), "--log-level=loud");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("--log-level must be one of trace, debug, info, warn, error, not 'loud'\n"),
                r.err());
    }

    @Test
    void aMissingConfigFileIsSaidOnce() {
        Path none = tmp.resolve("nonexistent.toml");
        Run r = jstargz("serve", "--config", none.toString());
        assertEquals(1, r.exit());
        assertEquals("jstargz: config file " + none + " does not exist\n", r.err());
    }

    @Test
    void aTakenMetricsPortStopsServeBeforeAnyWorkWithOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Path root = tmp.resolve("root");
            Path config = Files.writeString(tmp.resolve("c.toml"), "root = \"" + root + "\"\naddress = \""
                    + tmp.resolve("s.sock") + "\"\nmetrics_address = \"127.0.0.1:" + taken.getLocalPort() + "\"\n");
            Run r = jstargz("serve", "--config", config.toString());
            assertEquals(1, r.exit());
            assertTrue(r.err().startsWith("jstargz: cannot start the daemon:\n  metrics_address 127.0.0.1:"
                    + taken.getLocalPort() + " cannot be bound: "), r.err());
            assertEquals(2, r.err().lines().count(), "said once: " + r.err());
            // no work before the checks: only the directory the native libraries they load are unpacked into
            try (Stream<Path> made = Files.list(root)) {
                assertEquals(List.of(root.resolve("native")), made.toList());
            }
        }
    }

    @Test
    void statusOnAStaleSocketSaysNoDaemonRunsThere() throws Exception {
        Path sock = tmp.resolve("stale.sock");
        try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            gone.bind(UnixDomainSocketAddress.of(sock)); // closed without removing the file, as a killed daemon
        }
        Run r = jstargz("status", "--address", sock.toString());
        assertEquals(1, r.exit());
        assertEquals("jstargz: no jstargz daemon is running at " + sock + " (nothing accepts connections on it)\n",
                r.err());
    }

    @Test
    void zeroThreadsOrSecondsNameTheOption() {
        Run threads = jstargz("blob", "convert", "--threads", "0", vector("small1.tar").toString(),
                tmp.resolve("o").toString());
        assertEquals(2, threads.exit());
        assertTrue(threads.err().startsWith("Invalid value for option '--threads': must be 1 or more, not 0\n"),
                threads.err());
        Run period = jstargz("image", "optimize", "--period", "0", "oci:" + tmp.resolve("a"),
                "oci:" + tmp.resolve("b"));
        assertEquals(2, period.exit());
        assertTrue(period.err().startsWith("Invalid value for option '--period': must be 1 or more, not 0\n"),
                period.err());
    }

    @Test
    void aLocalPathTakenForAReferenceGetsAHint() throws Exception {
        Path tar = Files.copy(vector("small1.tar"), tmp.resolve("layer.tar"));
        Run r = jstargz("image", "convert", tar.toString(), "oci:" + tmp.resolve("out"));
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("'" + tar + "' is taken for a registry reference, but it is a local file:"
                + " write docker-archive:" + tar + " for a docker save archive, or oci:" + tar
                + " for an OCI image layout\n"), r.err());
    }

    @Test
    void anUnreachableRegistryIsNamed() {
        Run r = jstargz("image", "convert", "localhost:1/foo:bar", "oci:" + tmp.resolve("out"));
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("jstargz: cannot reach registry localhost:1 for GET "), r.err());
    }

    @Test
    void blobConvertNamesItsOutputAndHonoursTheUmask() throws Exception {
        Path out = tmp.resolve("out.esgz");
        Run ok = jstargz("blob", "convert", vector("small1.tar").toString(), out.toString());
        assertEquals(0, ok.exit(), ok.err());
        Path plain = Files.createFile(tmp.resolve("plain")); // mode 0666 less this process's umask
        assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));

        Path nowhere = tmp.resolve("no-such-dir/out.esgz");
        Run bad = jstargz("blob", "convert", vector("small1.tar").toString(), nowhere.toString());
        assertEquals(1, bad.exit());
        assertEquals("jstargz: cannot write " + nowhere + ": its directory does not exist\n", bad.err());
    }

    @Test
    void theCommandsOwnText() {
        Run help = jstargz("--help");
        assertTrue(help.out().replaceAll("\\s+", " ").contains(" status Show the running daemon's snapshots and how"
                + " each lazily pulled layer is doing. "), help.out());

        Run image = jstargz("image");
        assertEquals(2, image.exit());
        assertTrue(image.err().startsWith("Usage: jstargz image "), image.err());
        assertEquals(2, jstargz("blob").exit());

        Run mount = jstargz("mount", "--blob", "f", "a", "b", "c");
        assertEquals(2, mount.exit());
        assertTrue(mount.err().startsWith("give either --blob FILE DIR, or IMAGE-REF --layer DIGEST|INDEX DIR (got"
                + " --blob f a b c)\n"), mount.err());

        Run version = jstargz("--version");
        assertEquals("jstargz " + BuildInfo.current().version() + " (commit " + BuildInfo.current().commit() + ")\n",
                version.out());
        assertTrue(BuildInfo.current().commit().matches("[0-9a-f]{12}"), BuildInfo.current().commit());
    }
}
