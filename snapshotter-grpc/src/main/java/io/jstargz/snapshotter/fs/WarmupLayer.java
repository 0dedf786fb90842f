package io.jstargz.snapshotter.fs;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.jstargz.estargz.BlobTail;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.EstargzException;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.process.Command;
import io.jstargz.remote.Digest;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A tiny eStargz layer served over HTTP from this process, the way a registry serves blobs (range and suffix-range
 * GETs): what the daemon's warm-up ({@link Warmup}) and its AOT training run pull, so both exercise the code of a
 * real pull without a registry. The layer is made once and kept in a file.
 */
public final class WarmupLayer implements AutoCloseable {
    /** Files of the layer a warm-up reads: a big one (chunk decoding and digests get compiled) and small ones. */
    public static final List<String> FILES = List.of("bin/app", "etc/config", "lib/a", "lib/b");
    /** The kept layer's file: named anew whenever {@link #writeTar} changes, so that a node's kept layer is remade. */
    private static final String FILE = "layer-3.esgz";
    private static final int MANY = 3000;
    private static final int PER_DIRECTORY = 60;
    private static final int BIG = 10_500_000;
    /** Names of many lengths, as a real layer's: the index's hash table then meets collisions of unequal names. */
    private static final String[] PREFIXES = {"f", "lib", "module_", "x"};
    private static final String[] SUFFIXES = {"", ".py", ".so.1", ".cpython-311.pyc", ".h"};
    private static final String REPOSITORY = "jstargz-warmup/layer";
    private static final Pattern RANGE = Pattern.compile("(\\d*)-(\\d*)");

    private final byte[] blob;
    private final String digest;
    private final String tocDigest;
    private final HttpServer server;

    private WarmupLayer(byte[] blob, String digest, String tocDigest, HttpServer server) {
        this.blob = blob;
        this.digest = digest;
        this.tocDigest = tocDigest;
        this.server = server;
    }

    /** Serves the layer kept in {@code dir} (made first if missing or damaged) on 127.0.0.1. */
    public static WarmupLayer serve(Path dir) throws IOException {
        Path file = Files.createDirectories(dir).resolve(FILE);
        try (DirectoryStream<Path> kept = Files.newDirectoryStream(dir, "layer*.esgz")) {
            for (Path old : kept) {
                if (!old.equals(file)) {
                    Files.deleteIfExists(old);
                }
            }
        }
        byte[] blob = Files.exists(file) ? Files.readAllBytes(file) : null;
        LayerIndex index = blob == null ? null : indexOf(blob);
        if (index == null) {
            // the tar goes to a file, which the converter reads in place: in memory, its 13 MB grew the heap for good
            Path tar = Files.createTempFile(file.getParent(), ".warmup-", ".tar");
            try {
                writeTar(tar);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                new LayerConverter(ConvertOptions.defaults().withChunkSize(16 << 10).withCompressionLevel(1)
                        .withParallelism(1).withPrioritizedFiles(List.of("bin/app"))).convert(tar, out);
                blob = out.toByteArray();
            } finally {
                Files.deleteIfExists(tar);
            }
            index = indexOf(blob);
            Path tmp = Files.createTempFile(file.getParent(), ".warmup-", ".tmp");
            Files.write(tmp, blob);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        WarmupLayer w = new WarmupLayer(blob, Digest.sha256(blob).toString(), index.tocDigest(), server);
        server.createContext("/v2/", w::serve);
        server.start();
        return w;
    }

    /** An image reference for the layer's repository on the local server. */
    public String imageRef() {
        return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/"
                + REPOSITORY + ":1";
    }

    /**
     * Reads {@link #FILES} of the layer mounted at {@code mountPoint} and lists a directory, from a child process as a
     * container does. Never from this process: a thread blocked in a request to a mount its own process serves cannot
     * be killed, and a kill -9 at that moment leaves a zombie that holds the daemon's root (issue 18).
     *
     * @throws IOException if a read failed or did not end within {@code deadline}
     */
    public static void readFrom(Path mountPoint, Duration deadline) throws IOException {
        List<String> args = new ArrayList<>(List.of("sh", "-c", "cat -- \"$@\" >/dev/null && ls -l \"$0\" >/dev/null",
                mountPoint.resolve("bin").toString()));
        FILES.forEach(f -> args.add(mountPoint.resolve(f).toString()));
        Command.of(args).run(deadline).orThrow();
    }

    /**
     * Makes the requests a container's start makes of a layer, a few thousand of them, from a child process as
     * {@link #readFrom} does: lists the tree ({@code ls -lR}: directory listings with attributes, symlink targets),
     * reads the files of a few directories twice (the second open of a file is passed through once its copy is made),
     * and looks up names that are missing (an interpreter probes its search path so). A few requests of each kind
     * leave their code to the interpreter and C1: a container's first hundreds of requests then came while the JIT
     * compiled it, on the CPUs the container needed.
     *
     * @throws IOException if a request failed or they did not end within {@code deadline}
     */
    public static void exercise(Path mountPoint, Duration deadline) throws IOException {
        Command.of("sh", "-c", """
                set -e
                cd "$0"
                ls -lR . >/dev/null
                for d in share/d0?; do cat "$d"/* >/dev/null; cat "$d"/* >/dev/null; done
                i=0
                while [ $i -lt 2000 ]; do
                  [ ! -e "share/d4$((i % 10))/missing$i" ]
                  i=$((i + 1))
                done""", mountPoint.toString()).run(deadline).orThrow();
    }

    /** The layer blob's digest. */
    public String digest() {
        return digest;
    }

    /** The digest of the layer's TOC, as an image manifest's annotation gives it. */
    public String tocDigest() {
        return tocDigest;
    }

    /** Parses and indexes the layer's TOC from its bytes in memory, as opening a layer does. */
    LayerIndex parse() throws IOException {
        return indexOf(blob);
    }

    private static LayerIndex indexOf(byte[] blob) throws IOException {
        try {
            return EstargzReader.open(new BlobTail(blob.length, 0, blob).source("warm-up"),
                    OpenOptions.defaults("warm-up"));
        } catch (EstargzException e) {
            return null;
        }
    }

    /** Answers blob GETs as a registry does: whole, one range, or several ({@code multipart/byteranges}). */
    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestURI().getPath().endsWith("/blobs/" + digest)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String spec = ex.getRequestHeaders().getFirst("Range");
            List<long[]> ranges = spec == null || !spec.startsWith("bytes=") ? List.of() : ranges(spec.substring(6));
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            int status = 206;
            if (ranges.isEmpty()) {
                status = 200;
                body.write(blob);
            } else if (ranges.size() == 1) {
                long[] r = ranges.get(0);
                ex.getResponseHeaders().add("Content-Range", "bytes " + r[0] + "-" + r[1] + "/" + blob.length);
                body.write(blob, (int) r[0], (int) (r[1] - r[0] + 1));
            } else {
                String boundary = "jstargz-warmup-boundary";
                ex.getResponseHeaders().add("Content-Type", "multipart/byteranges; boundary=" + boundary);
                for (long[] r : ranges) {
                    body.write(("--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes "
                            + r[0] + "-" + r[1] + "/" + blob.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    body.write(blob, (int) r[0], (int) (r[1] - r[0] + 1));
                    body.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            if (ranges.size() <= 1) {
                ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
            }
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(status, head ? -1 : body.size());
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    body.writeTo(out);
                }
            }
        }
    }

    /** The ranges of a {@code Range: bytes=} value, as {@code [first, last]} within the blob. */
    private List<long[]> ranges(String spec) {
        List<long[]> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            Matcher m = RANGE.matcher(part.trim());
            if (!m.matches()) {
                return List.of();
            }
            long last = blob.length - 1;
            if (m.group(1).isEmpty()) {
                out.add(new long[] {Math.max(0, blob.length - Long.parseLong(m.group(2))), last});
            } else {
                long first = Long.parseLong(m.group(1));
                out.add(new long[] {first, m.group(2).isEmpty() ? last : Math.min(last, Long.parseLong(m.group(2)))});
            }
        }
        return out;
    }

    /**
     * Writes the layer's tar. Besides the files a warm-up reads, {@link #MANY} entries laid out and owned as in a
     * distribution's base layer: the root's entry, each directory's entry before its files, names of many lengths, a
     * symlink in ten, a few hardlinks, a few owners other than root, one file with an xattr, one larger than 10 MB, and
     * times across years and months. The TOC code C2 compiles while warming up assumes what it has seen: a real layer's
     * first TOC with anything it had not seen (a group id, a February, an eight-digit size) sent a dozen compiled
     * methods back to the interpreter in the middle of a pull, and C2 compiled them again while the container started.
     */
    private static void writeTar(Path tarFile) throws IOException {
        Random random = new Random(1);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new BufferedOutputStream(
                Files.newOutputStream(tarFile)))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (String dir : List.of(".", "bin/", "etc/", "lib/", "share/")) {
                put(tar, directory(dir, 0), null);
            }
            for (String file : FILES) {
                // a file of a few MiB has the chunk decoder and digest code compiled (those intrinsics are C2's)
                byte[] data = new byte[file.equals("bin/app") ? 2 << 20 : 4 << 10];
                random.nextBytes(data);
                put(tar, regular(file, 0100755, data.length, 0), data);
            }
            // sizes and chunk offsets of eight digits (zeros: about 50 KiB compressed)
            tar.putArchiveEntry(regular("lib/zeros", 0100644, BIG, 0));
            byte[] zeros = new byte[BIG / 100];
            for (int i = 0; i < 100; i++) {
                tar.write(zeros);
            }
            tar.closeArchiveEntry();
            String last = null;
            for (int i = 0; i < MANY; i++) {
                if (i % PER_DIRECTORY == 0) {
                    put(tar, directory(String.format("share/d%02d/", i / PER_DIRECTORY), i), null);
                }
                String name = String.format("share/d%02d/%s%04d%s", i / PER_DIRECTORY, PREFIXES[i % PREFIXES.length], i,
                        SUFFIXES[i % SUFFIXES.length]);
                TarArchiveEntry e;
                byte[] data = null;
                if (i % 10 == 9) {
                    e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
                    e.setLinkName(last.substring(last.lastIndexOf('/') + 1));
                } else if (i % 1000 == 500) {
                    e = new TarArchiveEntry(name, TarArchiveEntry.LF_LINK);
                    e.setLinkName(last);
                } else {
                    data = ("file " + i + "\n").getBytes(StandardCharsets.UTF_8);
                    e = regular(name, i % 7 == 0 ? 0100755 : 0100644, data.length, i);
                    last = name;
                }
                e.setModTime(modTime(i));
                if (i % 97 == 0) {
                    e.setGroupId(42);
                } else if (i % 331 == 0) {
                    e.setUserId(1000);
                    e.setGroupId(1000);
                    e.setUserName("user");
                    e.setGroupName("user");
                }
                if (i == MANY / 3) {
                    e.addPaxHeader("SCHILY.xattr.security.capability", "warm-up");
                }
                put(tar, e, data);
            }
            putUncommon(tar);
            TarArchiveEntry link = new TarArchiveEntry("bin/sh", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("app");
            put(tar, link, null);
        }
    }

    /**
     * Entries whose TOC text takes the parser's rarer branches, which a real layer's TOC has here and there: names in
     * UTF-8 of two, three and four bytes a character, one that JSON escapes ({@code &}, {@code <}, {@code >}, as
     * Go's encoder does), one longer than the parser's first text buffer, and owner ids of nine and ten digits, the
     * lengths of a large layer's offsets. The jdk image's TOC, with such names and offsets, sent the parser back to the
     * interpreter in the middle of its pull, and C2 compiled it again beside the container.
     */
    private static void putUncommon(TarArchiveOutputStream tar) throws IOException {
        String longDir = "share/long/" + "d".repeat(120) + "/";
        for (String dir : List.of("share/intl/", "share/long/", longDir)) {
            put(tar, directory(dir, 0), null);
        }
        long[][] owners = {{0, 0}, {123_456_789, 1_234_567_890}, {4_000_000_000L, 3_000_000_000L}};
        List<String> names = List.of("share/intl/caf\u00e9.py", "share/intl/\u65e5\u672c\u8a9e.h",
                "share/intl/\ud83d\ude42.txt", "share/intl/a&b<c>.txt", longDir + "f".repeat(180) + ".so");
        for (int i = 0; i < names.size(); i++) {
            byte[] data = ("uncommon " + i + "\n").getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = regular(names.get(i), 0100644, data.length, i);
            e.setUserId(owners[i % owners.length][0]);
            e.setGroupId(owners[i % owners.length][1]);
            put(tar, e, data);
        }
    }

    private static TarArchiveEntry directory(String name, int i) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_DIR);
        e.setMode(040755);
        e.setModTime(modTime(i));
        return e;
    }

    private static TarArchiveEntry regular(String name, int mode, long size, int i) {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(mode);
        e.setSize(size);
        e.setModTime(modTime(i));
        return e;
    }

    /** Entry {@code i}'s time: three days and an hour apart from mid-1999 on, through leap years and every month. */
    private static FileTime modTime(int i) {
        return FileTime.from(Instant.parse("1999-06-01T00:00:00Z").plusSeconds(i * (3 * 86_400L + 3_607)));
    }

    private static void put(TarArchiveOutputStream tar, TarArchiveEntry e, byte[] data) throws IOException {
        tar.putArchiveEntry(e);
        if (data != null) {
            tar.write(data);
        }
        tar.closeArchiveEntry();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
