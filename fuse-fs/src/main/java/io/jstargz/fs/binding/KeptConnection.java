package io.jstargz.fs.binding;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What another process needs to serve a FUSE mount whose connection was kept ({@link MountHandle#keep}): what the
 * kernel's INIT settled, which is never sent again on that connection, and a label of the caller's naming the mount.
 * It travels as the descriptor's name ({@code FDNAME=} of systemd's file descriptor store), so it fits that name's
 * rules: at most 255 characters, no control characters and no colon.
 *
 * @param label         the caller's name for the mount (e.g. its snapshot)
 * @param protocolMinor the FUSE protocol minor version in use
 * @param flags         the INIT flags granted
 */
public record KeptConnection(String label, int protocolMinor, long flags) {
    private static final Pattern NAME = Pattern.compile("fuse\\.(\\d+)\\.([0-9a-f]+)\\.(.+)");
    private static final int MAX_NAME = 255;

    public KeptConnection {
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

    /** The connection a descriptor name describes, or empty when the name is not one of {@link #name()}'s. */
    public static Optional<KeptConnection> parse(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new KeptConnection(m.group(3), Integer.parseInt(m.group(1)),
                    Long.parseUnsignedLong(m.group(2), 16)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
