package io.jstargz.estargz;

/**
 * A name in a directory and what it refers to.
 *
 * @param name     the base name
 * @param entry    the entry (for a hardlink name, its target; for a whiteout, the {@code .wh.<name>} entry)
 * @param whiteout true in the overlay view for a name hidden by a {@code .wh.<name>} entry; show it as a character
 *                 device 0/0 with the whiteout entry's owner and times
 */
public record DirEntry(String name, Entry entry, boolean whiteout) {
}
