package io.jstargz.estargz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads every regular file of a layer through chunk verification and produces the entry listing the reference
 * reader's view is compared with (one JSON object per path, the shape of {@code testdata/estargz/*.entries.jsonl}).
 */
public final class LayerVerifier {

    /** Receives one listing line (without newline) per path, in walk order. */
    @FunctionalInterface
    public interface ListingSink {
        void line(String json) throws IOException;
    }

    /**
     * What was verified.
     *
     * @param paths paths listed (hardlink names included)
     * @param files distinct regular files read
     * @param bytes uncompressed bytes verified
     */
    public record Summary(int paths, int files, long bytes) {
    }

    private final LayerReader reader;
    private final Map<Long, String> verified = new HashMap<>();
    private int paths;
    private long bytes;

    private LayerVerifier(LayerReader reader) {
        this.reader = reader;
    }

    /**
     * Verifies every chunk of every regular file, and each file's whole digest where the TOC records one.
     *
     * @param sink receives the listing, or null
     * @throws ChunkVerificationException at the first file that does not verify
     */
    public static Summary verify(BlobSource blob, LayerIndex index, ListingSink sink) throws IOException {
        LayerVerifier v = new LayerVerifier(new LayerReader(blob, index));
        v.walk(index.root(), "", sink);
        return new Summary(v.paths, v.verified.size(), v.bytes);
    }

    private void walk(Entry dir, String prefix, ListingSink sink) throws IOException {
        for (DirEntry d : dir.children()) {
            String path = prefix.isEmpty() ? d.name() : prefix + "/" + d.name();
            Entry e = d.entry();
            String sha = e.isRegular() ? verifyFile(e) : null;
            paths++;
            if (sink != null) {
                sink.line(listingLine(path, e, sha));
            }
            if (e.isDirectory()) {
                walk(e, path, sink);
            }
        }
    }

    private String verifyFile(Entry file) throws IOException {
        String known = verified.get(file.inode());
        if (known != null) {
            return known;
        }
        MessageDigest whole = Digests.sha256();
        for (int i = 0; i < file.chunkCount(); i++) {
            byte[] data = reader.readChunk(file, i);
            whole.update(data);
            bytes += data.length;
        }
        byte[] sum = whole.digest();
        if (!file.digest().isEmpty() && !file.digest().equals(Digests.format(sum))) {
            throw new ChunkVerificationException(reader.index().layerName(), file.path(), 0,
                    "every chunk verifies but the whole file does not match its digest " + file.digest());
        }
        String hex = Digests.hex(sum);
        verified.put(file.inode(), hex);
        return hex;
    }

    /** One listing line, as the reference-side listing encodes it (Go {@code encoding/json}, omitempty fields). */
    public static String listingLine(String path, Entry e, String sha256Hex) {
        ByteBuf out = new ByteBuf(256);
        out.ascii("{\"name\":");
        GoStrings.appendJson(out, path);
        out.ascii(",\"type\":\"").ascii(e.type().tocName()).ascii("\"");
        if (e.size() != 0) {
            out.ascii(",\"size\":").decimal(e.size());
        }
        out.ascii(",\"mode\":").decimal(e.mode()).ascii(",\"uid\":").decimal(e.uid())
                .ascii(",\"gid\":").decimal(e.gid());
        if (!e.linkName().isEmpty()) {
            out.ascii(",\"linkName\":");
            GoStrings.appendJson(out, e.linkName());
        }
        out.ascii(",\"numLink\":").decimal(e.numLink());
        if (!e.xattrNames().isEmpty()) {
            out.ascii(",\"xattrs\":{");
            boolean first = true;
            for (String name : e.xattrNames().stream().sorted(GoStrings.BYTE_ORDER).toList()) {
                out.ascii(first ? "" : ",");
                first = false;
                GoStrings.appendJson(out, name);
                out.append(':');
                GoStrings.appendJson(out, e.xattr(name));
            }
            out.append('}');
        }
        if (sha256Hex != null) {
            out.ascii(",\"sha256\":\"").ascii(sha256Hex).ascii("\"");
        }
        if (!e.chunks().isEmpty()) {
            out.ascii(",\"chunks\":").decimal(e.chunks().size());
        }
        if (e.devMajor() != 0) {
            out.ascii(",\"devMajor\":").decimal(e.devMajor());
        }
        if (e.devMinor() != 0) {
            out.ascii(",\"devMinor\":").decimal(e.devMinor());
        }
        out.append('}');
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }
}
