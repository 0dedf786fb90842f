package io.jstargz.estargz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The names of a layer, without an object per name: every directory's entries are <em>links</em> (a name and the
 * inode it refers to), stored directory by directory and sorted by name bytes within each (Go's order), so a name is
 * found by binary search. Names are UTF-8 in one byte table; a link's name runs to the next link's. Hardlinks are
 * links to their target's inode. Each inode but the root is named by one <em>defining</em> link, whose directory is
 * its parent: that gives its path. Immutable.
 */
final class Directories {
    private final int[] firstLink;
    private final int[] linkInode;
    private final int[] nameStart;
    private final byte[] names;
    private final int[] definingLink;

    /**
     * @param firstLink    by inode ({@code inodes + 2} long): the links of directory {@code d} are
     *                     {@code [firstLink[d], firstLink[d + 1])}, empty for other types
     * @param linkInode    by link: the inode it refers to
     * @param nameStart    by link ({@code links + 1} long): where its name starts in {@code names}
     * @param definingLink by inode: the link that names it, -1 for the root
     */
    Directories(int[] firstLink, int[] linkInode, int[] nameStart, byte[] names, int[] definingLink) {
        this.firstLink = firstLink;
        this.linkInode = linkInode;
        this.nameStart = nameStart;
        this.names = names;
        this.definingLink = definingLink;
    }

    /** The first link of directory {@code dir}. */
    int firstChild(int dir) {
        return firstLink[dir];
    }

    /** How many names directory {@code dir} holds (0 for other types). */
    int childCount(int dir) {
        return firstLink[dir + 1] - firstLink[dir];
    }

    int inodeOf(int link) {
        return linkInode[link];
    }

    String name(int link) {
        return new String(names, nameStart[link], nameStart[link + 1] - nameStart[link], StandardCharsets.UTF_8);
    }

    /** Whether link {@code link}'s name starts with the ASCII {@code prefix}. */
    boolean nameStartsWith(int link, String prefix) {
        int at = nameStart[link];
        if (nameStart[link + 1] - at < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (names[at + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The link named {@code name[off, off + len)} (UTF-8) in directory {@code dir}, or -1. */
    int find(int dir, byte[] name, int off, int len) {
        int lo = firstLink[dir];
        int hi = firstLink[dir + 1] - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Arrays.compareUnsigned(names, nameStart[mid], nameStart[mid + 1], name, off, off + len);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** The link named {@code name} in directory {@code dir}, or -1. */
    int find(int dir, String name) {
        ByteBuf utf8 = new ByteBuf(name.length() * 3).utf8(name);
        return find(dir, utf8.array(), 0, utf8.size());
    }

    /** The directory holding inode {@code inode}'s defining link; 0 for the root. */
    int parent(int inode) {
        int link = definingLink[inode];
        if (link < 0) {
            return 0;
        }
        // the directory is the last inode whose links start at or before this one
        int lo = 1;
        int hi = firstLink.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (firstLink[mid] <= link) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** The normalised path of inode {@code inode} ({@code ""} for the root): its defining links up to the root. */
    String path(int inode) {
        int depth = 0;
        int length = 0;
        for (int i = inode; definingLink[i] >= 0; i = parent(i)) {
            int link = definingLink[i];
            length += nameStart[link + 1] - nameStart[link] + 1;
            depth++;
        }
        if (depth == 0) {
            return "";
        }
        byte[] out = new byte[length - 1];
        int end = out.length;
        for (int i = inode; definingLink[i] >= 0; i = parent(i)) {
            int link = definingLink[i];
            int n = nameStart[link + 1] - nameStart[link];
            System.arraycopy(names, nameStart[link], out, end - n, n);
            end -= n;
            if (end > 0) {
                out[--end] = '/';
            }
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** The base name of inode {@code inode} ({@code ""} for the root). */
    String baseName(int inode) {
        int link = definingLink[inode];
        return link < 0 ? "" : name(link);
    }
}
