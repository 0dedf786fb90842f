package io.jstargz.estargz;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One entry of the TOC JSON ({@code stargz.index.json}), field for field as the reference's {@code TOCEntry}.
 * Numbers that are absent in the JSON are 0 and strings are empty ({@code omitempty}). This is the raw form; the
 * reader turns entries into an {@link Entry} tree.
 *
 * @param name        tar path as written (not normalised)
 * @param type        {@code dir, reg, symlink, hardlink, char, block, fifo} or {@code chunk}
 * @param size        file size (reg)
 * @param modtime     RFC 3339 modification time, or empty
 * @param linkName    symlink or hardlink target
 * @param mode        tar mode bits
 * @param uid         owner user id
 * @param gid         owner group id
 * @param userName    owner user name (written only where it changes)
 * @param groupName   owner group name (written only where it changes)
 * @param offset      compressed offset of the member holding this payload (reg, chunk)
 * @param innerOffset uncompressed offset of this payload inside that member
 * @param devMajor    device major (char, block)
 * @param devMinor    device minor (char, block)
 * @param xattrs      extended attributes, raw values
 * @param digest      {@code sha256:} of the whole file (reg)
 * @param chunkOffset offset of this chunk in the file
 * @param chunkSize   size of this chunk; 0 means to the end of the file
 * @param chunkDigest {@code sha256:} of this chunk's uncompressed bytes
 */
public record TocEntry(String name, String type, long size, String modtime, String linkName, long mode, long uid,
                       long gid, String userName, String groupName, long offset, long innerOffset, long devMajor,
                       long devMinor, SortedMap<String, byte[]> xattrs, String digest, long chunkOffset,
                       long chunkSize, String chunkDigest) {

    public TocEntry {
        name = orEmpty(name);
        type = orEmpty(type);
        modtime = orEmpty(modtime);
        linkName = orEmpty(linkName);
        userName = orEmpty(userName);
        groupName = orEmpty(groupName);
        digest = orEmpty(digest);
        chunkDigest = orEmpty(chunkDigest);
        xattrs = xattrs == null || xattrs.isEmpty() ? Collections.emptySortedMap()
                : Collections.unmodifiableSortedMap(new TreeMap<>(xattrs));
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** A builder, for writers and tests. */
    public static Builder builder(String name, String type) {
        return new Builder(name, type);
    }

    /** A builder starting from this entry. */
    public Builder toBuilder() {
        Builder b = new Builder(name, type);
        b.size = size;
        b.modtime = modtime;
        b.linkName = linkName;
        b.mode = mode;
        b.uid = uid;
        b.gid = gid;
        b.userName = userName;
        b.groupName = groupName;
        b.offset = offset;
        b.innerOffset = innerOffset;
        b.devMajor = devMajor;
        b.devMinor = devMinor;
        b.xattrs = new TreeMap<>(xattrs);
        b.digest = digest;
        b.chunkOffset = chunkOffset;
        b.chunkSize = chunkSize;
        b.chunkDigest = chunkDigest;
        return b;
    }

    /** Mutable builder of a {@link TocEntry}; fields are set directly. */
    public static final class Builder {
        public String name;
        public String type;
        public long size;
        public String modtime = "";
        public String linkName = "";
        public long mode;
        public long uid;
        public long gid;
        public String userName = "";
        public String groupName = "";
        public long offset;
        public long innerOffset;
        public long devMajor;
        public long devMinor;
        public Map<String, byte[]> xattrs = new TreeMap<>();
        public String digest = "";
        public long chunkOffset;
        public long chunkSize;
        public String chunkDigest = "";

        Builder(String name, String type) {
            this.name = name;
            this.type = type;
        }

        public TocEntry build() {
            return new TocEntry(name, type, size, modtime, linkName, mode, uid, gid, userName, groupName, offset,
                    innerOffset, devMajor, devMinor, xattrs == null ? null : new TreeMap<>(xattrs), digest,
                    chunkOffset, chunkSize, chunkDigest);
        }
    }
}
