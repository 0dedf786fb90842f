package io.jstargz.cli;

import static io.jstargz.cli.BlobCommandsTest.jstargz;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve} and {@code status} where they refuse to run, and the status table's layout. */
class DaemonCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void serveRefusesAConfigWithAnUnknownKeyOrABadLevel() throws Exception {
        Path config = Files.writeString(tmp.resolve("c.toml"), "[fuse]\nattr_timeout_seconds = 1\n");
        BlobCommandsTest.Run bad = jstargz("serve", "--config", config.toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("unknown key 'fuse.attr_timeout_seconds'"), bad.err());

        Path ok = Files.writeString(tmp.resolve("ok.toml"), "root = \"" + tmp.resolve("root") + "\"\n");
        BlobCommandsTest.Run level = jstargz("serve", "--config", ok.toString(), "--log-level", "loud");
        assertEquals(2, level.exit());
        assertTrue(level.err().contains("--log-level must be one of"), level.err());
    }

    @Test
    void statusSaysWhenNoDaemonServes() {
        BlobCommandsTest.Run r = jstargz("status", "--address", tmp.resolve("none.sock").toString());
        assertEquals(1, r.exit());
        assertEquals("jstargz: no jstargz daemon: " + tmp.resolve("none.sock") + " does not exist\n", r.err());
    }

    @Test
    void tablesPadColumnsAndLeaveTheLastRagged() {
        StringWriter out = new StringWriter();
        Table.print(new PrintWriter(out, true), List.of(List.of("A", "LONG HEADER", "C"),
                List.of("value", "x", "last column is ragged ")));
        assertEquals("A      LONG HEADER  C\nvalue  x            last column is ragged\n", out.toString());
    }
}
