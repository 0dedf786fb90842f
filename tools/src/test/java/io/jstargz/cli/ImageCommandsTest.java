package io.jstargz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.cli.BlobCommandsTest.Run;
import io.jstargz.testing.BusyboxImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image commands, run in-process on a busybox image in an OCI layout. */
class ImageCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void convertPrintsProgressLinesAndASummary() throws Exception {
        BusyboxImage.singleLayer(tmp.resolve("src"), "bb");
        Path list = Files.writeString(tmp.resolve("prio.txt"), "bin/busybox\n");
        Run run = BlobCommandsTest.jstargz("image", "convert", "--progress", "plain", "--compression-level", "1",
                "--prioritize-list", list.toString(), "oci:" + tmp.resolve("src") + ":bb",
                "oci:" + tmp.resolve("dst") + ":esgz");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("1 image, 1 layer: 1 converted, 0 already eStargz"), run.out());
        assertTrue(run.err().lines().anyMatch(l -> l.matches("layer [0-9a-f]{12}: converted: .* -> .*")), run.err());
        assertTrue(Files.readString(tmp.resolve("dst/index.json")).contains("\"esgz\""));

        Run again = BlobCommandsTest.jstargz("image", "convert", "--progress", "plain",
                "oci:" + tmp.resolve("dst") + ":esgz", "oci:" + tmp.resolve("dst") + ":again");
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("0 converted, 1 already eStargz"), again.out());
    }

    @Test
    void optimizeRecordsAndConvertReplaysTheRecord() throws Exception {
        BusyboxImage.threeLayers(tmp.resolve("src"), "bb");
        Path record = tmp.resolve("record.json");
        Run optimize = BlobCommandsTest.jstargz("image", "optimize", "--progress", "plain", "--period", "30",
                "--record-out", record.toString(), "oci:" + tmp.resolve("src") + ":bb",
                "oci:" + tmp.resolve("dst") + ":opt", "--", "cat", "/etc/motd", "/data/hello.txt");
        assertEquals(0, optimize.exit(), optimize.err());
        assertTrue(optimize.out().contains("layer 2  etc/motd") && optimize.out().contains("layer 1  data/hello.txt"),
                optimize.out());
        assertTrue(optimize.err().contains("layer 3\nhello from layer 2"), optimize.err());
        assertTrue(Files.readString(record).contains("{\"path\":\"etc/motd\",\"manifestDigest\":\"sha256:"),
                Files.readString(record));

        // the saved record, fed back, gives the same image
        Run replay = BlobCommandsTest.jstargz("image", "convert", "--progress", "plain", "--prioritize-list",
                record.toString(), "oci:" + tmp.resolve("src") + ":bb", "oci:" + tmp.resolve("dst") + ":replay");
        assertEquals(0, replay.exit(), replay.err());
        String index = Files.readString(tmp.resolve("dst/index.json"));
        String digest = "\"digest\":\"sha256:[0-9a-f]{64}\"";
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(digest).matcher(index);
        assertTrue(m.find());
        String first = m.group();
        assertTrue(m.find());
        assertEquals(first, m.group(), "optimize and convert --prioritize-list of its record agree: " + index);
    }

    @Test
    void optimizeTakesCtrRemotesWorkloadFlags() throws Exception {
        BusyboxImage.threeLayers(tmp.resolve("src"), "bb");
        Path host = Files.createDirectories(tmp.resolve("host"));
        Files.writeString(host.resolve("x"), "mounted");
        Run optimize = BlobCommandsTest.jstargz("image", "optimize", "--progress", "plain", "--reuse",
                "--entrypoint", "[\"sh\",\"-c\"]", "--args", "[\"echo $FOO $(cat /m/x) in $(pwd) as $(id -u)\"]",
                "--env", "FOO=bar", "--cwd", "/tmp", "--user", "nobody", "--net-host",
                "--mount", "type=bind,src=" + host + ",dst=/m,options=ro",
                "oci:" + tmp.resolve("src") + ":bb", "oci:" + tmp.resolve("dst") + ":opt");
        assertEquals(0, optimize.exit(), optimize.err());
        assertTrue(optimize.err().contains("bar mounted in /tmp as 65534"), optimize.err());

        String src = "oci:" + tmp.resolve("src") + ":bb";
        String dst = "oci:" + tmp.resolve("dst") + ":x";
        for (List<String> bad : List.of(List.of("--entrypoint", "sh -c"), List.of("--reuse", "--force"),
                List.of("--mount", "dst=/only"), List.of("--env", "NOVALUE"))) {
            List<String> args = new java.util.ArrayList<>(List.of("image", "optimize"));
            args.addAll(bad);
            args.addAll(List.of(src, dst));
            Run r = BlobCommandsTest.jstargz(args.toArray(String[]::new));
            assertEquals(2, r.exit(), bad + ": " + r.err());
            assertTrue(r.err().contains(bad.get(0).equals("--reuse") ? "--reuse" : bad.get(0).equals("--entrypoint")
                    ? "JSON array" : bad.get(1)), bad + ": " + r.err());
        }
    }

    @Test
    void badArgumentsAreUsageErrors() {
        String dst = "oci:" + tmp.resolve("dst");
        Run platform = BlobCommandsTest.jstargz("image", "convert", "--platform", "linux", "oci:a", dst);
        assertEquals(2, platform.exit());
        assertTrue(platform.err().contains("invalid platform 'linux'"), platform.err());
        Run location = BlobCommandsTest.jstargz("image", "convert", "dir:/x", dst);
        assertEquals(2, location.exit());
        assertTrue(location.err().contains("unsupported image location 'dir:/x'"), location.err());
        Run missing = BlobCommandsTest.jstargz("image", "convert", "oci:" + tmp.resolve("none"), dst);
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("not an OCI image layout"), missing.err());
        assertFalse(Files.exists(tmp.resolve("dst")), "nothing is written when the source cannot be read");
    }
}
