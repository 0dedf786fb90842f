package io.jstargz.estargz;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns TOC entries into a {@link LayerIndex}, checking everything a hostile TOC could get wrong: names (normalised
 * as the reference does, but never absolute or with {@code ..}), duplicates, the tree (implicit parent directories
 * are created, a file cannot be a parent), hardlinks (resolved to their target, no cycles, no directories), and each
 * file's chunk table (tiles the file, in blob order, inside the payload, with a digest, of a bounded size).
 */
final class IndexBuilder {
    /** Deflate cannot expand by more than about 1032:1, so a span that would have to is a lie. */
    private static final long MAX_INFLATE_RATIO = 1032;

    /** Facts about the blob the TOC came from. */
    record Meta(String layer, FooterKind footerKind, long blobSize, long tocOffset, long tocSize, String tocDigest) {
    }

    /** A regular file with its TOC entries (the reg entry, then its chunk entries). */
    private record FileEntries(Entry entry, List<TocEntry> pieces, List<Integer> indexes) {
    }

    private final String layer;
    private final List<TocEntry> toc;
    private final Map<String, Entry> byName = new HashMap<>();
    private final Map<String, String> hardlinks = new HashMap<>();
    private final Map<Entry, TreeMap<String, Entry>> dirs = new HashMap<>();
    private final List<FileEntries> files = new ArrayList<>();
    private final List<Entry> byInode = new ArrayList<>();
    private Entry root;

    private IndexBuilder(String layer, List<TocEntry> toc) {
        this.layer = layer;
        this.toc = toc;
        byInode.add(null);
    }

    static LayerIndex build(List<TocEntry> toc, Meta meta, long maxChunkSize) throws InvalidBlobException {
        IndexBuilder b = new IndexBuilder(meta.layer(), toc);
        b.readEntries();
        b.buildTree();
        b.buildChunks(meta.tocOffset(), maxChunkSize);
        b.freeze();
        Map<String, Entry> paths = new HashMap<>(b.byName);
        b.hardlinks.keySet().forEach(name -> paths.put(name, b.resolveHardlinkQuietly(name)));
        return new LayerIndex(meta, b.root, paths, b.byInode.toArray(new Entry[0]));
    }

    /** Checks names, duplicates, the tree and hardlinks of entries a writer is about to write. */
    static void checkTree(List<TocEntry> toc, String layer) throws InvalidBlobException {
        IndexBuilder b = new IndexBuilder(layer, toc);
        b.readEntries();
        b.buildTree();
    }

    private InvalidBlobException bad(Reason reason, String message) {
        return new InvalidBlobException(reason, "layer " + layer + ": " + message);
    }

    private Entry newEntry(String path, EntryType type) {
        Entry e = new Entry(path, type, path.isEmpty() ? 1 : byInode.size() + 1);
        if (path.isEmpty()) {
            byInode.set(0, e);
        } else {
            byInode.add(e);
        }
        return e;
    }

    private void readEntries() throws InvalidBlobException {
        Map<Long, String> users = new HashMap<>();
        Map<Long, String> groups = new HashMap<>();
        FileEntries lastFile = null;
        for (int i = 0; i < toc.size(); i++) {
            TocEntry e = toc.get(i);
            checkNumbers(e, i);
            if (e.type().equals("chunk")) {
                if (lastFile == null) {
                    throw bad(Reason.BAD_CHUNKS, what(i, e) + " is a chunk that does not follow a regular file");
                }
                lastFile.pieces().add(e);
                lastFile.indexes().add(i);
                continue;
            }
            lastFile = null;
            String problem = GoPaths.unsafeNameProblem(e.name());
            if (problem != null) {
                throw bad(Reason.UNSAFE_NAME, what(i, e) + ": the name " + problem);
            }
            String name = GoPaths.cleanEntryName(e.name());
            if (byName.containsKey(name) || hardlinks.containsKey(name)) {
                throw bad(Reason.DUPLICATE_ENTRY, what(i, e) + ": another entry has the name " +
                        GoStrings.quote(name));
            }
            if (e.type().equals("hardlink")) {
                String linkProblem = e.linkName().isEmpty() ? "is empty" : GoPaths.unsafeNameProblem(e.linkName());
                if (linkProblem != null) {
                    throw bad(Reason.UNSAFE_NAME, what(i, e) + ": the hardlink target " + linkProblem);
                }
                hardlinks.put(name, GoPaths.cleanEntryName(e.linkName()));
                continue;
            }
            EntryType type = EntryType.fromToc(e.type());
            if (type == null) {
                throw bad(Reason.BAD_ENTRY, what(i, e) + " has unknown type " + GoStrings.quote(e.type()));
            }
            if (name.isEmpty() && type != EntryType.DIR) {
                throw bad(Reason.BAD_TREE, what(i, e) + " names the root but is not a directory");
            }
            Entry n = newEntry(name, type);
            n.mode = e.mode();
            n.uid = e.uid();
            n.gid = e.gid();
            n.userName = backfill(users, e.uid(), e.userName());
            n.groupName = backfill(groups, e.gid(), e.groupName());
            n.modTimeSeconds = parseModTime(e.modtime());
            n.linkName = e.linkName();
            n.devMajor = e.devMajor();
            n.devMinor = e.devMinor();
            n.xattrs = e.xattrs();
            if (type == EntryType.REG) {
                n.size = e.size();
                if (!e.digest().isEmpty() && !Digests.isSha256(e.digest())) {
                    throw bad(Reason.BAD_ENTRY, what(i, e) + " has a malformed digest " + e.digest());
                }
                n.digest = e.digest();
                lastFile = new FileEntries(n, new ArrayList<>(List.of(e)), new ArrayList<>(List.of(i)));
                files.add(lastFile);
            }
            byName.put(name, n);
            if (type == EntryType.DIR) {
                dirs.put(n, new TreeMap<>(GoStrings.BYTE_ORDER));
            }
            if (name.isEmpty()) {
                root = n;
            }
        }
        if (root == null) {
            root = implicitDir("");
        }
    }

    /** How an error names entry {@code i}: made only when there is an error (a TOC has many thousand entries). */
    private static String what(int i, TocEntry e) {
        return "entry #" + i + " (" + GoStrings.quote(e.name()) + ")";
    }

    /** How an error names a regular file. */
    private static String what(Entry file) {
        return "file " + GoStrings.quote(file.path());
    }

    private void checkNumbers(TocEntry e, int i) throws InvalidBlobException {
        long[] values = {e.size(), e.mode(), e.uid(), e.gid(), e.offset(), e.innerOffset(), e.devMajor(),
            e.devMinor(), e.chunkOffset(), e.chunkSize()};
        for (long v : values) {
            if (v < 0) {
                throw bad(Reason.BAD_ENTRY, what(i, e) + " has a negative number");
            }
        }
        if (e.uid() > 0xffffffffL || e.gid() > 0xffffffffL) {
            throw bad(Reason.BAD_ENTRY, what(i, e) + " has a uid or gid beyond 32 bits");
        }
    }

    private static String backfill(Map<Long, String> names, long id, String name) {
        if (!name.isEmpty()) {
            names.put(id, name);
            return name;
        }
        return names.getOrDefault(id, "");
    }

    private static long parseModTime(String rfc3339) {
        if (rfc3339.isEmpty()) {
            return 0;
        }
        long utc = parseUtcSeconds(rfc3339);
        if (utc != Long.MIN_VALUE) {
            return utc;
        }
        try {
            return OffsetDateTime.parse(rfc3339, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toEpochSecond();
        } catch (DateTimeParseException e) {
            // the reference ignores an unparsable time and uses zero, so a layer is not rejected for it
            return 0;
        }
    }

    /**
     * {@code YYYY-MM-DDTHH:MM:SSZ}, the form writers use (Go's {@code time.RFC3339} of a UTC time), without the
     * general parser, which costs more than the rest of an entry; {@link Long#MIN_VALUE} for any other form.
     */
    private static long parseUtcSeconds(String s) {
        if (s.length() != 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':' || s.charAt(19) != 'Z') {
            return Long.MIN_VALUE;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > YearMonth.of(year, month).lengthOfMonth()
                || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return Long.MIN_VALUE;
        }
        return LocalDate.of(year, month, day).toEpochDay() * 86_400L + hour * 3600L + minute * 60L + second;
    }

    /** The decimal number of {@code n} digits at {@code from}, or -1 if they are not all digits. */
    private static int digits(String s, int from, int n) {
        int v = 0;
        for (int i = from; i < from + n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private Entry implicitDir(String path) {
        Entry d = newEntry(path, EntryType.DIR);
        d.mode = 0755;
        byName.put(path, d);
        dirs.put(d, new TreeMap<>(GoStrings.BYTE_ORDER));
        return d;
    }

    private void buildTree() throws InvalidBlobException {
        for (TocEntry e : toc) {
            if (e.type().equals("chunk")) {
                continue;
            }
            String name = GoPaths.cleanEntryName(e.name());
            if (name.isEmpty()) {
                continue;
            }
            Entry target = hardlinks.containsKey(name) ? resolveHardlink(name) : byName.get(name);
            TreeMap<String, Entry> parent = dirs.get(dir(GoPaths.parent(name), name));
            parent.put(GoPaths.base(name), target);
        }
    }

    /** The directory at {@code path}, created (with its parents) if the TOC has no entry for it. */
    private Entry dir(String path, String child) throws InvalidBlobException {
        ArrayDeque<String> missing = new ArrayDeque<>();
        String p = path;
        while (!byName.containsKey(p)) {
            if (hardlinks.containsKey(p)) {
                throw bad(Reason.BAD_TREE, GoStrings.quote(child) + " is inside "
                        + GoStrings.quote(p) + ", which is a hardlink");
            }
            missing.push(p);
            p = GoPaths.parent(p);
        }
        Entry d = byName.get(p);
        if (d.type() != EntryType.DIR) {
            throw bad(Reason.BAD_TREE, GoStrings.quote(child) + " is inside "
                    + GoStrings.quote(p) + ", which is not a directory");
        }
        while (!missing.isEmpty()) {
            String m = missing.pop();
            Entry created = implicitDir(m);
            dirs.get(d).put(GoPaths.base(m), created);
            d = created;
        }
        return d;
    }

    private Entry resolveHardlink(String name) throws InvalidBlobException {
        Set<String> seen = new HashSet<>();
        String link = name;
        while (hardlinks.containsKey(link)) {
            if (!seen.add(link)) {
                throw bad(Reason.BAD_HARDLINK, "hardlink " + GoStrings.quote(name)
                        + " is part of a hardlink cycle");
            }
            link = hardlinks.get(link);
        }
        Entry target = byName.get(link);
        if (target == null) {
            throw bad(Reason.BAD_HARDLINK, "hardlink " + GoStrings.quote(name)
                    + " points to " + GoStrings.quote(link) + ", which has no entry");
        }
        if (target.type() == EntryType.DIR) {
            throw bad(Reason.BAD_HARDLINK, "hardlink " + GoStrings.quote(name)
                    + " points to the directory " + GoStrings.quote(link));
        }
        return target;
    }

    private Entry resolveHardlinkQuietly(String name) {
        try {
            return resolveHardlink(name);
        } catch (InvalidBlobException e) {
            throw new IllegalStateException("hardlinks were checked while building the tree", e);
        }
    }

    private void buildChunks(long tocOffset, long maxChunkSize) throws InvalidBlobException {
        long[] blobEnds = new long[toc.size()];
        long next = tocOffset;
        for (int i = toc.size() - 1; i >= 0; i--) {
            TocEntry e = toc.get(i);
            blobEnds[i] = next;
            if (e.offset() != 0 && e.innerOffset() == 0) {
                next = e.offset();
            }
        }
        long lastOffset = -1;
        long lastInner = -1;
        for (FileEntries f : files) {
            Entry file = f.entry();
            if (file.size == 0) {
                if (f.pieces().size() > 1) {
                    throw bad(Reason.BAD_CHUNKS, what(file) + " is empty but has chunk entries");
                }
                continue;
            }
            Chunk[] chunks = new Chunk[f.pieces().size()];
            long expected = 0;
            for (int k = 0; k < chunks.length; k++) {
                TocEntry e = f.pieces().get(k);
                long at = e.chunkOffset();
                if (at != expected) {
                    throw bad(Reason.BAD_CHUNKS, what(file) + ": chunk #" + k + " starts at " + at + ", expected "
                            + expected);
                }
                long size = e.chunkSize() == 0 ? file.size - at : e.chunkSize();
                if (size <= 0 || size > file.size - at) {
                    throw bad(Reason.BAD_CHUNKS, what(file) + ": chunk #" + k + " at " + at + " has size " + size
                            + ", outside the file's " + file.size + " bytes");
                }
                if (size > maxChunkSize) {
                    throw bad(Reason.CHUNK_TOO_LARGE, what(file) + ": chunk #" + k + " at " + at + " is " + size
                            + " bytes, over the limit of " + maxChunkSize);
                }
                long offset = e.offset();
                long end = blobEnds[f.indexes().get(k)];
                if (offset <= 0 || offset >= tocOffset) {
                    throw bad(Reason.CHUNK_OUT_OF_RANGE, what(file) + ": chunk #" + k + " has blob offset " + offset
                            + ", outside the payload [1, " + tocOffset + ")");
                }
                if (offset < lastOffset || offset == lastOffset && e.innerOffset() <= lastInner) {
                    throw bad(Reason.BAD_CHUNKS, what(file) + ": chunk #" + k + " at blob offset " + offset
                            + " is out of order (the previous chunk is at " + lastOffset + ")");
                }
                if (end <= offset) {
                    throw bad(Reason.BAD_CHUNKS, what(file) + ": chunk #" + k + " at blob offset " + offset
                            + " is out of order (the next chunk starts at " + end + ")");
                }
                lastOffset = offset;
                lastInner = e.innerOffset();
                long inflatable = (end - offset) * MAX_INFLATE_RATIO;
                if (size > inflatable || e.innerOffset() > inflatable - size) {
                    throw bad(Reason.CHUNK_OUT_OF_RANGE, what(file) + ": chunk #" + k + " claims " + size
                            + " bytes at inner offset " + e.innerOffset() + ", more than its " + (end - offset)
                            + " compressed bytes can hold");
                }
                chunks[k] = new Chunk(at, size, offset, end, e.innerOffset(), chunkDigest(e, file, chunks.length, k));
                expected += size;
            }
            if (expected != file.size) {
                throw bad(Reason.BAD_CHUNKS, what(file) + ": chunks cover " + expected + " of " + file.size + " bytes");
            }
            file.chunks = chunks;
        }
    }

    private String chunkDigest(TocEntry e, Entry file, int chunkCount, int k) throws InvalidBlobException {
        if (!e.chunkDigest().isEmpty()) {
            if (!Digests.isSha256(e.chunkDigest())) {
                throw bad(Reason.BAD_ENTRY, what(file) + ": chunk #" + k + " has a malformed chunkDigest "
                        + e.chunkDigest());
            }
            return e.chunkDigest();
        }
        if (chunkCount == 1 && !file.digest.isEmpty()) {
            return file.digest;
        }
        throw bad(Reason.MISSING_DIGEST, what(file) + ": chunk #" + k
                + " has no chunkDigest, so it cannot be verified");
    }

    /** Fixes directories' sorted child arrays, link counts and opaque flags. */
    private void freeze() {
        for (Entry e : byInode) {
            if (e.type() != EntryType.DIR) {
                e.numLink = 1;
            }
        }
        hardlinks.keySet().forEach(name -> resolveHardlinkQuietly(name).numLink++);
        for (Map.Entry<Entry, TreeMap<String, Entry>> d : dirs.entrySet()) {
            Entry dir = d.getKey();
            TreeMap<String, Entry> children = d.getValue();
            dir.childNames = children.keySet().toArray(new String[0]);
            dir.children = children.values().toArray(new Entry[0]);
            int subdirs = 0;
            for (Entry c : dir.children) {
                if (c.type() == EntryType.DIR) {
                    subdirs++;
                }
            }
            dir.numLink = 2 + subdirs;
            dir.opaque = children.containsKey(Landmarks.OPAQUE_MARKER);
        }
    }
}
