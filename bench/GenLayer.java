import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a deterministic container-layer-like tar for the convert benchmark: about 280 MiB in 12,000 small files,
 * 200 medium and 8 large ones; a third of the content is incompressible (like binaries and compressed assets),
 * the rest text-like. Run: java -cp tools/target/jstargz.jar bench/GenLayer.java OUT.tar
 */
public final class GenLayer {
    private static final String[] WORDS = ("the of and to in is for on that with as by this from it at are be or an "
            + "function return value config error import class string buffer layer chunk image container snapshot "
            + "kernel module package library python java node index table entry offset digest").split(" ");

    public static void main(String[] args) throws IOException {
        Random r = new Random(20240501);
        Path out = Path.of(args[0]);
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(os)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (int d = 0; d < 100; d++) {
                dir(tar, String.format("usr/share/d%03d/", d));
            }
            for (int i = 0; i < 12_000; i++) {
                file(tar, String.format("usr/share/d%03d/small-%05d.txt", i % 100, i), r.nextInt(8192), r);
            }
            dir(tar, "usr/lib/");
            for (int i = 0; i < 200; i++) {
                file(tar, String.format("usr/lib/medium-%03d.so", i), 64 * 1024 + r.nextInt(960 * 1024), r);
            }
            dir(tar, "opt/app/");
            for (int i = 0; i < 8; i++) {
                file(tar, String.format("opt/app/large-%d.bin", i), (8 << 20) + r.nextInt(16 << 20), r);
            }
            TarArchiveEntry link = new TarArchiveEntry("usr/bin/tool", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("../lib/medium-000.so");
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
        }
    }

    private static void dir(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(040755);
        e.setModTime(1_700_000_000_000L);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, int size, Random r) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(size);
        e.setMode(0100644);
        e.setModTime(1_700_000_000_000L);
        tar.putArchiveEntry(e);
        byte[] data = new byte[size];
        if (r.nextInt(3) == 0) {
            r.nextBytes(data);
        } else {
            StringBuilder sb = new StringBuilder(size + 16);
            while (sb.length() < size) {
                sb.append(WORDS[r.nextInt(WORDS.length)]).append(r.nextInt(10) == 0 ? '\n' : ' ');
                if (r.nextInt(50) == 0) {
                    sb.append(r.nextLong());
                }
            }
            System.arraycopy(sb.toString().getBytes(StandardCharsets.US_ASCII), 0, data, 0, size);
        }
        tar.write(data);
        tar.closeArchiveEntry();
    }
}
