package io.jstargz.estargz;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the ordered entries of a layer as a blob of the options' {@link BlobFormat}, as the reference's
 * {@code Writer.AppendTar} and {@code Close} do: tar headers go on inside the current compressed member, a new member
 * starts at each chunk of a non-empty regular file (or, with a min chunk size, once the open member holds enough),
 * then the format writes the TOC and the footer.
 */
final class BlobAssembler {
    private static final String XATTR_PREFIX = "SCHILY.xattr.";

    private final SpooledTar tar;
    private final BlobFormat format;
    private final ParallelMemberWriter gz;
    private final int chunkSize;
    private final int minChunkSize;
    /** With a min chunk size: where the open member starts, compressed and uncompressed. */
    private long memberStart;
    private long memberStartUncompressed;
    private final List<TocEntry.Builder> toc = new ArrayList<>();
    private final Map<Long, String> lastUserName = new HashMap<>();
    private final Map<Long, String> lastGroupName = new HashMap<>();
    private final byte[] buffer;

    BlobAssembler(SpooledTar tar, OutputStream out, ConvertOptions options) {
        this.tar = tar;
        this.chunkSize = options.chunkSize();
        this.minChunkSize = options.minChunkSize();
        this.format = options.format();
        // a min chunk size flushes and waits at every chunk: members are compressed as streams, on one thread
        this.gz = new ParallelMemberWriter(out, format.codec(options.compressionLevel(), minChunkSize > 0),
                options.parallelism());
        this.buffer = new byte[(int) Math.min(options.chunkSize(), 1 << 20)];
    }

    /** Writes everything and returns the digests; {@code missed} is passed through to the result. */
    ConvertResult write(List<SpooledTar.Item> entries, List<String> missed) throws IOException {
        try (ParallelMemberWriter w = gz) {
            for (SpooledTar.Item item : entries) {
                if (!item.cleanName().equals(Landmarks.TOC_TAR_NAME)) {
                    append(item);
                }
            }
            w.flush();
            // entries are built one at a time while writing, so the TOC is not held twice
            byte[] json = TocJsonWriter.write(new AbstractList<>() {
                @Override
                public TocEntry get(int i) {
                    return toc.get(i).build();
                }

                @Override
                public int size() {
                    return toc.size();
                }
            });
            BlobFormat.TocWritten toc = format.writeToc(w, json);
            return new ConvertResult(Digests.of(json), Digests.format(w.uncompressedSha256()),
                    Digests.format(w.compressedSha256()), w.compressedSize(), w.uncompressedSize(), missed,
                    toc.annotations(), toc.externalToc());
        }
    }

    private void append(SpooledTar.Item item) throws IOException {
        GoTarWriter.Encoded encoded = GoTarWriter.encodeAsReference(item.header());
        TarHeader h = encoded.header();
        String name = h.displayName();
        TocEntry.Builder e = TocEntry.builder(name, tocType(h));
        e.mode = h.mode;
        e.uid = h.uid;
        e.gid = h.gid;
        e.userName = nameIfChanged(lastUserName, h.uid, GoStrings.decode(h.uname));
        e.groupName = nameIfChanged(lastGroupName, h.gid, GoStrings.decode(h.gname));
        e.modtime = modtime(h);
        e.xattrs = xattrs(h);
        switch (h.typeflag) {
            case TarHeader.TYPE_LINK, TarHeader.TYPE_SYMLINK -> e.linkName = GoStrings.decode(h.linkname);
            case TarHeader.TYPE_CHAR, TarHeader.TYPE_BLOCK -> {
                e.devMajor = h.devmajor;
                e.devMinor = h.devminor;
            }
            case TarHeader.TYPE_REG -> e.size = h.size;
            default -> {
            }
        }
        gz.write(encoded.bytes());
        if (h.typeflag != TarHeader.TYPE_REG) {
            toc.add(e);
            return;
        }
        MessageDigest whole = Digests.sha256();
        long written = 0;
        TocEntry.Builder current = e;
        while (written < h.size) {
            long size = chunkSize;
            long remain = h.size - written;
            if (remain < size) {
                size = remain;
            } else {
                current.chunkSize = size;
            }
            place(current, name);
            current.chunkOffset = written;
            boolean single = written == 0 && size == h.size;
            MessageDigest chunk = single ? whole : Digests.sha256();
            copy(item, written, size, chunk, single ? null : whole);
            current.chunkDigest = Digests.format(chunk.digest());
            if (single) {
                e.digest = current.chunkDigest;
            }
            toc.add(current);
            written += size;
            current = TocEntry.builder(name, "chunk");
        }
        if (h.size == 0) {
            toc.add(e);
            e.digest = Digests.format(whole.digest());
        } else if (e.digest.isEmpty()) {
            e.digest = Digests.format(whole.digest());
        }
        gz.write(new byte[(int) (-h.size & (TarReader.BLOCK - 1))]);
    }

    /**
     * Starts the member of a chunk, or (with a min chunk size) packs the chunk into the open member at its inner
     * offset when that member holds fewer compressed bytes than the minimum so far. As the reference decides it: the
     * member is flushed to know its size, and a landmark always starts a member of its own.
     */
    private void place(TocEntry.Builder chunk, String name) throws IOException {
        if (minChunkSize == 0) {
            gz.newMember(offset -> chunk.offset = offset);
            return;
        }
        boolean landmark = name.equals(Landmarks.PREFETCH) || name.equals(Landmarks.NO_PREFETCH);
        if (landmark || gz.syncFlush() - memberStart >= minChunkSize) {
            gz.newMember(null);
            memberStart = gz.syncFlush();
            memberStartUncompressed = gz.uncompressedSize();
            chunk.offset = memberStart;
        } else {
            chunk.offset = memberStart;
            chunk.innerOffset = gz.uncompressedSize() - memberStartUncompressed;
        }
    }

    private void copy(SpooledTar.Item item, long from, long size, MessageDigest a, MessageDigest b)
            throws IOException {
        long done = 0;
        while (done < size) {
            int n = (int) Math.min(buffer.length, size - done);
            if (item.inline() != null) {
                System.arraycopy(item.inline(), (int) (from + done), buffer, 0, n);
            } else {
                tar.readData(item.dataOffset() + from + done, buffer, 0, n);
            }
            a.update(buffer, 0, n);
            if (b != null) {
                b.update(buffer, 0, n);
            }
            gz.write(buffer, 0, n);
            done += n;
        }
    }

    static String tocType(TarHeader h) throws InvalidLayerTarException {
        return switch (h.typeflag) {
            case TarHeader.TYPE_LINK -> "hardlink";
            case TarHeader.TYPE_SYMLINK -> "symlink";
            case TarHeader.TYPE_DIR -> "dir";
            case TarHeader.TYPE_REG -> "reg";
            case TarHeader.TYPE_CHAR -> "char";
            case TarHeader.TYPE_BLOCK -> "block";
            case TarHeader.TYPE_FIFO -> "fifo";
            default -> throw new InvalidLayerTarException("unsupported tar entry type '" + (char) h.typeflag
                    + "' for " + h.displayName());
        };
    }

    /** The reference writes a user or group name only where it differs from the last one for that id. */
    private static String nameIfChanged(Map<Long, String> last, long id, String name) {
        if (name.isEmpty() || name.equals(last.get(id))) {
            return "";
        }
        last.put(id, name);
        return name;
    }

    /** The reference's {@code formatModtime}: empty for the zero time and the epoch, else RFC 3339 UTC seconds. */
    static String modtime(TarHeader h) {
        if (TarHeader.isZeroTime(h.mtimeSec, h.mtimeNano) || h.mtimeSec == 0) {
            return "";
        }
        long sec = h.mtimeSec + (h.mtimeNano >= 500_000_000 ? 1 : 0);
        LocalDateTime t;
        try {
            t = LocalDateTime.ofEpochSecond(sec, 0, ZoneOffset.UTC);
        } catch (java.time.DateTimeException e) {
            return "";
        }
        int year = t.getYear();
        String y = year < 0 ? String.format("-%04d", -year) : String.format("%04d", year);
        return y + String.format("-%02d-%02dT%02d:%02d:%02dZ", t.getMonthValue(), t.getDayOfMonth(), t.getHour(),
                t.getMinute(), t.getSecond());
    }

    private static TreeMap<String, byte[]> xattrs(TarHeader h) {
        TreeMap<String, byte[]> out = new TreeMap<>();
        for (Map.Entry<String, byte[]> r : h.paxRecords.entrySet()) {
            if (r.getKey().startsWith(XATTR_PREFIX)) {
                byte[] key = r.getKey().substring(XATTR_PREFIX.length()).getBytes(StandardCharsets.ISO_8859_1);
                out.put(GoStrings.decode(key), r.getValue());
            }
        }
        return out;
    }
}
