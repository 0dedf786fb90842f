package io.jstargz.estargz;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link LayerIndex} from TOC entries as the parser reads them, in one pass and without a tree of objects:
 * each entry goes straight into the index's columns ({@link Inodes}, a {@link DirectoryBuilder}, {@link ChunkRows}).
 * It checks everything a hostile TOC could get wrong: names (normalised as the reference does, but never absolute or
 * with {@code ..}), duplicates, the tree (a directory the TOC leaves out is made where first needed and takes the
 * attributes of an entry that names it later; a file cannot be a parent), hardlinks (resolved to their target once
 * every name is known, no cycles, no directories), and each file's chunk table (see {@link ChunkRows}).
 *
 * <p>Inode numbers are 1 for the root, then in TOC order, a directory the TOC leaves out numbered where it is first
 * needed; hardlinks share their target's.
 */
final class IndexBuilder implements TocJsonParser.Sink {
    private static final int ROOT = 1;
    private static final int IMPLICIT_DIR_MODE = 0755;
    private static final int DIGEST = 32;
    private static final byte[] OPAQUE_MARKER = Landmarks.OPAQUE_MARKER.getBytes(StandardCharsets.US_ASCII);
    private static final char[] SHA256_PREFIX = Digests.SHA256_PREFIX.toCharArray();
    private static final byte[] HEX_VALUES = new byte['f' + 1];

    static {
        Arrays.fill(HEX_VALUES, (byte) -1);
        for (int i = 0; i < 16; i++) {
            HEX_VALUES["0123456789abcdef".charAt(i)] = (byte) i;
        }
    }

    /** Facts about the blob the TOC came from. */
    record Meta(String layer, Footer footer, long blobSize, String tocDigest) {
    }

    private record Owner(String user, String group) {
    }

    private final String layer;
    private final Inodes inodes;
    private final DirectoryBuilder dirs;
    private final ChunkRows rows;
    private final ByteBuf path = new ByteBuf(256);
    private final ByteBuf lastParent = new ByteBuf(256);
    private int lastParentDir;
    private final ByteBuf fileName = new ByteBuf(256);
    private final ByteBuf text = new ByteBuf(256);
    private int file;
    private int fileChunks;
    private boolean rootSeen;
    private final byte[] digest = new byte[DIGEST];
    private final Map<Long, String> users = new HashMap<>();
    private final Map<Long, String> groups = new HashMap<>();
    private final Map<Owner, Integer> owners = new HashMap<>();
    private final List<String> ownerNames = new ArrayList<>(List.of("", ""));
    private long lastUid = -1;
    private long lastGid = -1;
    private int lastOwner;
    private int[] hardlinkLink = new int[8];
    private final ByteBuf hardlinkPaths = new ByteBuf(256);
    private int[] hardlinkPathStart = new int[17];
    private int hardlinks;

    /** A builder for a TOC of about {@code expectedEntries} entries; {@code layer} names it in messages. */
    IndexBuilder(String layer, int expectedEntries) {
        this.layer = layer;
        this.inodes = new Inodes(expectedEntries);
        this.dirs = new DirectoryBuilder(expectedEntries);
        this.rows = new ChunkRows(expectedEntries);
        makeDir();
    }

    /** Checks names, duplicates, the tree and hardlinks of entries a writer is about to write. */
    static void checkTree(List<TocEntry> toc, String layer) throws InvalidBlobException {
        IndexBuilder b = new IndexBuilder(layer, toc.size());
        TocFields fields = new TocFields();
        for (int i = 0; i < toc.size(); i++) {
            fields.load(i, toc.get(i));
            b.entry(fields);
        }
        b.resolveHardlinks();
    }

    /** The index of every entry given, for the blob {@code meta} describes. */
    LayerIndex finish(Meta meta, long maxChunkSize) throws InvalidBlobException {
        resolveHardlinks();
        Directories directories = dirs.freeze(inodes.count());
        for (int i = 1; i <= inodes.count(); i++) {
            if (inodes.type(i) == EntryType.DIR) {
                int subdirs = 0;
                int first = directories.firstChild(i);
                for (int l = first; l < first + directories.childCount(i); l++) {
                    if (inodes.type(directories.inodeOf(l)) == EntryType.DIR) {
                        subdirs++;
                    }
                }
                inodes.setNumLink(i, 2 + subdirs);
            }
        }
        inodes.trim(ownerNames.toArray(new String[0]));
        ChunkTable chunks = rows.finish(inodes, meta.footer(), maxChunkSize, directories::path, layer);
        inodes.digests.freeze();
        return new LayerIndex(meta, inodes, directories, chunks);
    }

    private InvalidBlobException bad(Reason reason, String message) {
        return new InvalidBlobException(reason, "layer " + layer + ": " + message);
    }

    /** How an error names an entry: made only when there is an error (a TOC has many thousand entries). */
    private static String what(TocFields e) {
        return "entry #" + e.index + " (" + GoStrings.quote(e.name.toString()) + ")";
    }

    @Override
    public void entry(TocFields e) throws InvalidBlobException {
        checkNumbers(e);
        if (e.offset != 0 && e.innerOffset == 0) {
            rows.memberStart(e.offset);
        }
        if (e.type.is("chunk")) {
            chunk(e);
            return;
        }
        file = 0;
        String problem = GoPaths.unsafeNameProblem(e.name.array(), e.name.length());
        if (problem != null) {
            throw bad(Reason.UNSAFE_NAME, what(e) + ": the name " + problem);
        }
        boolean hardlink = e.type.is("hardlink");
        EntryType type = hardlink ? null : EntryType.fromToc(e.type);
        if (type == null && !hardlink) {
            throw bad(Reason.BAD_ENTRY, what(e) + " has unknown type " + GoStrings.quote(e.type.toString()));
        }
        path.clear();
        GoPaths.cleanEntryName(e.name.array(), e.name.length(), path);
        if (path.size() == 0) {
            root(e, type);
            return;
        }
        int slash = lastSlash(path);
        int dir = slash < 0 ? ROOT : parentDir(slash);
        int nameAt = slash + 1;
        int nameLength = path.size() - nameAt;
        int link = dirs.find(dir, path.array(), nameAt, nameLength);
        int inode;
        if (link >= 0) {
            int existing = dirs.inode(link);
            if (existing <= 0 || !inodes.is(existing, Inodes.IMPLICIT)) {
                throw bad(Reason.DUPLICATE_ENTRY, what(e) + ": another entry has the name " + quote(path));
            }
            if (type != EntryType.DIR) {
                throw bad(Reason.BAD_TREE, what(e) + ": entries before it are inside " + quote(path)
                        + ", which is not a directory");
            }
            inode = existing;
            inodes.clear(inode, Inodes.IMPLICIT);
        } else if (hardlink) {
            addHardlink(e, dirs.add(dir, path.array(), nameAt, nameLength, -(hardlinks + 1), false));
            markOpaque(dir, nameAt, nameLength);
            return;
        } else {
            inode = makeInode(type);
            dirs.add(dir, path.array(), nameAt, nameLength, inode, true);
            markOpaque(dir, nameAt, nameLength);
        }
        attributes(inode, type, e);
    }

    private void root(TocFields e, EntryType type) throws InvalidBlobException {
        if (type != EntryType.DIR) {
            throw bad(Reason.BAD_TREE, what(e) + " names the root but is not a directory");
        }
        if (rootSeen) {
            throw bad(Reason.DUPLICATE_ENTRY, what(e) + ": another entry has the name \"\"");
        }
        rootSeen = true;
        inodes.clear(ROOT, Inodes.IMPLICIT);
        attributes(ROOT, type, e);
    }

    private void checkNumbers(TocFields e) throws InvalidBlobException {
        if ((e.size | e.mode | e.uid | e.gid | e.offset | e.innerOffset | e.devMajor | e.devMinor | e.chunkOffset
                | e.chunkSize) < 0) {
            throw bad(Reason.BAD_ENTRY, what(e) + " has a negative number");
        }
        if (e.uid > 0xffffffffL || e.gid > 0xffffffffL) {
            throw bad(Reason.BAD_ENTRY, what(e) + " has a uid or gid beyond 32 bits");
        }
        if (e.mode > 0xffffffffL) {
            throw bad(Reason.BAD_ENTRY, what(e) + " has a mode beyond 32 bits");
        }
    }

    private void chunk(TocFields e) throws InvalidBlobException {
        if (file == 0) {
            throw bad(Reason.BAD_CHUNKS, what(e) + " is a chunk that does not follow a regular file");
        }
        if (inodes.size(file) == 0) {
            throw bad(Reason.BAD_CHUNKS, "file " + quote(fileName) + " is empty but has chunk entries");
        }
        addChunk(e);
    }

    private void addChunk(TocFields e) throws InvalidBlobException {
        addChunk(e, false);
    }

    /** Adds a chunk row; {@code parsed} when {@link #digest} holds its chunkDigest already. */
    private void addChunk(TocFields e, boolean parsed) throws InvalidBlobException {
        boolean withDigest = !e.chunkDigest.isEmpty();
        if (withDigest && !parsed && !parseSha256(e.chunkDigest)) {
            throw bad(Reason.BAD_ENTRY, "file " + quote(fileName) + ": chunk #" + fileChunks
                    + " has a malformed chunkDigest " + e.chunkDigest);
        }
        rows.add(e, digest, withDigest);
        fileChunks++;
    }

    private int makeInode(EntryType type) {
        int inode = inodes.add(type);
        rows.inodeMade(inode);
        return inode;
    }

    private int makeDir() {
        int inode = makeInode(EntryType.DIR);
        inodes.set(inode, Inodes.IMPLICIT);
        inodes.setAttributes(inode, IMPLICIT_DIR_MODE, 0, 0, 0, 0);
        return inode;
    }

    /** The directory holding {@code path[0, slash)}, made (with its parents) where the TOC has no entry for it. */
    private int parentDir(int slash) throws InvalidBlobException {
        byte[] p = path.array();
        if (slash == lastParent.size() && Arrays.equals(p, 0, slash, lastParent.array(), 0, slash)) {
            return lastParentDir;
        }
        int dir = ROOT;
        for (int start = 0; start < slash; ) {
            int end = start;
            while (end < slash && p[end] != '/') {
                end++;
            }
            int link = dirs.find(dir, p, start, end - start);
            if (link < 0) {
                int made = makeDir();
                dirs.add(dir, p, start, end - start, made, true);
                markOpaque(dir, start, end - start);
                dir = made;
            } else {
                int inode = dirs.inode(link);
                if (inode <= 0 || inodes.type(inode) != EntryType.DIR) {
                    throw bad(Reason.BAD_TREE, quote(path) + " is inside " + quote(p, end) + ", which is "
                            + (inode <= 0 ? "a hardlink" : "not a directory"));
                }
                dir = inode;
            }
            start = end + 1;
        }
        lastParent.clear();
        lastParent.append(p, 0, slash);
        lastParentDir = dir;
        return dir;
    }

    /** Marks {@code dir} opaque when the name just added to it is the opaque marker. */
    private void markOpaque(int dir, int nameAt, int nameLength) {
        if (Arrays.equals(path.array(), nameAt, nameAt + nameLength, OPAQUE_MARKER, 0, OPAQUE_MARKER.length)) {
            inodes.set(dir, Inodes.OPAQUE);
        }
    }

    private void attributes(int inode, EntryType type, TocFields e) throws InvalidBlobException {
        inodes.setAttributes(inode, e.mode, e.uid, e.gid, ModTimes.seconds(e.modtime), owner(e));
        if (!e.linkName.isEmpty()) {
            text.clear();
            inodes.linkNames.put(inode, text.utf8(e.linkName.array(), 0, e.linkName.length()).toByteArray());
        }
        if (e.devMajor != 0 || e.devMinor != 0) {
            inodes.devices.put(inode, new long[] {e.devMajor, e.devMinor});
        }
        if (e.xattrs != null && !e.xattrs.isEmpty()) {
            inodes.xattrs.put(inode, e.xattrs);
        }
        if (type != EntryType.REG) {
            return;
        }
        inodes.setSize(inode, e.size);
        if (!e.digest.isEmpty()) {
            if (!parseSha256(e.digest)) {
                throw bad(Reason.BAD_ENTRY, what(e) + " has a malformed digest " + e.digest);
            }
            inodes.set(inode, Inodes.HAS_DIGEST);
            rows.fileDigest(digest);
        }
        file = inode;
        fileChunks = 0;
        fileName.clear();
        fileName.append(path.array(), 0, path.size());
        if (e.size > 0) {
            // a file of one chunk has that chunk's digest as its own: read it once
            addChunk(e, !e.digest.isEmpty() && e.chunkDigest.sameAs(e.digest));
        }
    }

    /**
     * The TOC writes a user or group name only where it changes for an id: an entry without one has the last one
     * written for its id. Entries are mostly owned like the one before, which needs no lookup.
     */
    private int owner(TocFields e) {
        boolean named = !e.userName.isEmpty() || !e.groupName.isEmpty();
        if (!named && e.uid == lastUid && e.gid == lastGid) {
            return lastOwner;
        }
        if (!e.userName.isEmpty()) {
            users.put(e.uid, e.userName.toString());
        }
        if (!e.groupName.isEmpty()) {
            groups.put(e.gid, e.groupName.toString());
        }
        Owner o = new Owner(users.getOrDefault(e.uid, ""), groups.getOrDefault(e.gid, ""));
        lastOwner = owners.computeIfAbsent(o, k -> {
            ownerNames.add(k.user());
            ownerNames.add(k.group());
            return ownerNames.size() / 2 - 1;
        });
        lastUid = e.uid;
        lastGid = e.gid;
        return lastOwner;
    }

    private void addHardlink(TocFields e, int link) throws InvalidBlobException {
        String problem = e.linkName.isEmpty() ? "is empty"
                : GoPaths.unsafeNameProblem(e.linkName.array(), e.linkName.length());
        if (problem != null) {
            throw bad(Reason.UNSAFE_NAME, what(e) + ": the hardlink target " + problem);
        }
        if (hardlinks == hardlinkLink.length) {
            hardlinkLink = Arrays.copyOf(hardlinkLink, hardlinks * 2);
            hardlinkPathStart = Arrays.copyOf(hardlinkPathStart, hardlinks * 4 + 1);
        }
        hardlinkLink[hardlinks] = link;
        hardlinkPaths.append(path.array(), 0, path.size());
        hardlinkPathStart[2 * hardlinks + 1] = hardlinkPaths.size();
        GoPaths.cleanEntryName(e.linkName.array(), e.linkName.length(), hardlinkPaths);
        hardlinkPathStart[2 * hardlinks + 2] = hardlinkPaths.size();
        hardlinks++;
    }

    /** Gives each hardlink's name its target's inode, and the target a link more. */
    private void resolveHardlinks() throws InvalidBlobException {
        for (int h = 0; h < hardlinks; h++) {
            int target = resolveHardlink(h);
            dirs.setInode(hardlinkLink[h], target);
            inodes.addLink(target);
        }
        for (int i = 1; i <= inodes.count(); i++) {
            if (inodes.type(i) != EntryType.DIR) {
                inodes.addLink(i);
            }
        }
    }

    private int resolveHardlink(int h) throws InvalidBlobException {
        int at = h;
        for (int steps = 0; steps <= hardlinks; steps++) {
            int from = hardlinkPathStart[2 * at + 1];
            int to = hardlinkPathStart[2 * at + 2];
            int link = from == to ? -1 : lookup(hardlinkPaths.array(), from, to);
            int target = link < 0 ? 0 : dirs.inode(link);
            if (from == to || target > 0 && inodes.type(target) == EntryType.DIR) {
                throw bad(Reason.BAD_HARDLINK, "hardlink " + hardlinkName(h) + " points to the directory "
                        + quote(hardlinkPaths.array(), from, to));
            }
            if (link < 0) {
                throw bad(Reason.BAD_HARDLINK, "hardlink " + hardlinkName(h) + " points to "
                        + quote(hardlinkPaths.array(), from, to) + ", which has no entry");
            }
            if (target > 0) {
                return target;
            }
            at = -target - 1;
        }
        throw bad(Reason.BAD_HARDLINK, "hardlink " + hardlinkName(h) + " is part of a hardlink cycle");
    }

    private String hardlinkName(int h) {
        return quote(hardlinkPaths.array(), hardlinkPathStart[2 * h], hardlinkPathStart[2 * h + 1]);
    }

    /** The link at the cleaned path {@code p[from, to)} (not the root), or -1; hardlinks are not followed. */
    private int lookup(byte[] p, int from, int to) {
        int dir = ROOT;
        for (int start = from; ; ) {
            int end = start;
            while (end < to && p[end] != '/') {
                end++;
            }
            int link = dirs.find(dir, p, start, end - start);
            if (link < 0 || end == to) {
                return link;
            }
            dir = dirs.inode(link);
            if (dir <= 0 || inodes.type(dir) != EntryType.DIR) {
                return -1;
            }
            start = end + 1;
        }
    }

    private static int lastSlash(ByteBuf b) {
        byte[] p = b.array();
        for (int i = b.size() - 1; i >= 0; i--) {
            if (p[i] == '/') {
                return i;
            }
        }
        return -1;
    }

    private static String quote(ByteBuf b) {
        return quote(b.array(), 0, b.size());
    }

    private static String quote(byte[] p, int to) {
        return quote(p, 0, to);
    }

    private static String quote(byte[] p, int from, int to) {
        return GoStrings.quote(new String(p, from, to - from, StandardCharsets.UTF_8));
    }

    /** Reads a {@code sha256:<64 lower-case hex digits>} digest into {@link #digest}; false if it is not one. */
    private boolean parseSha256(TocFields.Text text) {
        char[] s = text.array();
        int prefix = SHA256_PREFIX.length;
        if (text.length() != prefix + 2 * DIGEST || !Arrays.equals(s, 0, prefix, SHA256_PREFIX, 0, prefix)) {
            return false;
        }
        int bad = 0;
        for (int i = 0; i < DIGEST; i++) {
            int hi = hexValue(s[prefix + 2 * i]);
            int lo = hexValue(s[prefix + 2 * i + 1]);
            bad |= hi | lo;
            digest[i] = (byte) (hi << 4 | lo);
        }
        return bad >= 0;
    }

    /** The value of a lower-case hex digit, or a negative number. */
    private static int hexValue(char c) {
        return c < HEX_VALUES.length ? HEX_VALUES[c] : -1;
    }
}
