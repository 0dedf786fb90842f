package io.jstargz.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds one image layer as a tar: entries sorted by path, owned by root, with a fixed mtime, so the same content
 * always gives the same bytes (and digests). Parent directories are added implicitly.
 */
public final class LayerBuilder {
    /** 2020-01-01T00:00:00Z: every entry's mtime. */
    public static final Instant MTIME = Instant.parse("2020-01-01T00:00:00Z");

    private record Entry(byte type, int mode, byte[] content, String link) {
    }

    private final Map<String, Entry> entries = new TreeMap<>();

    /** A directory ({@code path} without leading or trailing slash). */
    public LayerBuilder dir(String path, int mode) {
        parents(path);
        entries.put(path + "/", new Entry(TarConstants.LF_DIR, mode, new byte[0], null));
        return this;
    }

    public LayerBuilder file(String path, byte[] content, int mode) {
        parents(path);
        entries.put(path, new Entry(TarConstants.LF_NORMAL, mode, content, null));
        return this;
    }

    public LayerBuilder file(String path, String content) {
        return file(path, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    public LayerBuilder symlink(String path, String target) {
        parents(path);
        entries.put(path, new Entry(TarConstants.LF_SYMLINK, 0777, new byte[0], target));
        return this;
    }

    /** An OCI whiteout: {@code path} from lower layers is deleted. */
    public LayerBuilder whiteout(String path) {
        int slash = path.lastIndexOf('/');
        String name = slash < 0 ? ".wh." + path : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
        return file(name, new byte[0], 0644);
    }

    private void parents(String path) {
        for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
            entries.putIfAbsent(path.substring(0, i) + "/", new Entry(TarConstants.LF_DIR, 0755, new byte[0], null));
        }
    }

    /** The uncompressed tar. */
    public byte[] tar() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, Entry> e : entries.entrySet()) {
                Entry v = e.getValue();
                TarArchiveEntry t = new TarArchiveEntry(e.getKey(), v.type());
                t.setMode(v.mode() | modeType(v.type()));
                t.setModTime(Date.from(MTIME));
                t.setIds(0, 0);
                t.setNames("root", "root");
                t.setSize(v.content().length);
                if (v.link() != null) {
                    t.setLinkName(v.link());
                }
                tar.putArchiveEntry(t);
                tar.write(v.content());
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static int modeType(byte type) {
        return switch (type) {
            case TarConstants.LF_DIR -> 0040000;
            case TarConstants.LF_SYMLINK -> 0120000;
            default -> 0100000;
        };
    }

    /** gzip of {@code data} with a fixed header (no name, no mtime), as image layers are. */
    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
