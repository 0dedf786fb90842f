package io.jstargz.fs.binding;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What another process needs to serve a FUSE mount whose connection was kept ({@link MountHandle#keep}): what the
 * kernel's INIT settled, which is never sent again on that connection, and a label of the caller's naming the mount.
 * It travels as the descriptor's name ({@code FDNAME=} of systemd's file descriptor store), so it fits that name's
 * rules: at most 255 characters, no control characters and no colon.
 *
 * <p>A connection handed over by a server that is still alive ({@link MountHandle#handOver}) also says which inodes
 * have files open in the kernel, and how each is read ({@link #openInodes}, the {@code OPEN_INODES=} field beside
 * the name): the kernel fails an open that would read an inode another way than its open files do, so the next
 * server must go on as the last one did. A connection kept for a crash cannot say it (it is stored once, at mount):
 * the binding then goes on from the table its server kept on disk beside the mount point.
 *
 * @param label         the caller's name for the mount (e.g. its snapshot)
 * @param protocolMinor the FUSE protocol minor version in use
 * @param flags         the INIT flags granted
 * @param openInodes    the inodes with open files, when the server handed the connection over; empty when the
 *                      connection was kept for a crash (not known here)
 */
public record KeptConnection(String label, int protocolMinor, long flags, Optional<List<OpenInode>> openInodes) {
    private static final Pattern NAME = Pattern.compile("fuse\\.(\\d+)\\.([0-9a-f]+)\\.(.+)");
    private static final int MAX_NAME = 255;

    /**
     * An inode with files open in the kernel: how many, and the backing id they are passed through to (FUSE
     * passthrough), or 0 when the server reads them.
     */
    public record OpenInode(long inode, int backingId, int openFiles) {
    }

    /** A connection as stored for a crash: no open inodes known. */
    public KeptConnection(String label, int protocolMinor, long flags) {
        this(label, protocolMinor, flags, Optional.empty());
    }

    public KeptConnection {
        openInodes = openInodes.map(List::copyOf);
        if (label.isEmpty() || label.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == ':')) {
            throw new IllegalArgumentException("a kept connection's label must be non-empty, without control"
                    + " characters or colons: " + label);
        }
    }

    /** The descriptor's name: {@code fuse.<minor>.<flags in hex>.<label>}. */
    public String name() {
        String name = "fuse." + protocolMinor + "." + Long.toHexString(flags) + "." + label;
        if (name.length() > MAX_NAME) {
            throw new IllegalArgumentException("a kept connection's name is longer than " + MAX_NAME + ": " + name);
        }
        return name;
    }

    /**
     * The {@code OPEN_INODES=} field: {@code inode:backingId:openFiles} of each open inode, comma-separated (empty
     * when none is known).
     */
    public String openInodesField() {
        StringBuilder b = new StringBuilder();
        for (OpenInode o : openInodes.orElse(List.of())) {
            b.append(b.isEmpty() ? "" : ",").append(o.inode()).append(':').append(o.backingId()).append(':')
                    .append(o.openFiles());
        }
        return b.toString();
    }

    /** The connection a descriptor name describes, or empty when the name is not one of {@link #name()}'s. */
    public static Optional<KeptConnection> parse(String name) {
        return parse(name, null);
    }

    /**
     * The connection a descriptor name and its {@code OPEN_INODES=} field ({@link #openInodesField}; empty: none
     * open; null: not known) describe, or empty when either is malformed.
     */
    public static Optional<KeptConnection> parse(String name, String openInodes) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            List<OpenInode> open = new ArrayList<>();
            if (openInodes != null && !openInodes.isEmpty()) {
                for (String entry : openInodes.split(",")) {
                    String[] f = entry.split(":");
                    open.add(new OpenInode(Long.parseLong(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2])));
                }
            }
            return Optional.of(new KeptConnection(m.group(3), Integer.parseInt(m.group(1)),
                    Long.parseUnsignedLong(m.group(2), 16),
                    openInodes == null ? Optional.empty() : Optional.of(open)));
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }
}
