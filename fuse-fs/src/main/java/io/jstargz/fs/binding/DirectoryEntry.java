package io.jstargz.fs.binding;

/**
 * One name in a directory listing, with the attributes of what it names (readdir gives the type and inode number
 * from them, so overlayfs can recognise whiteouts without a lookup per name).
 */
public record DirectoryEntry(String name, NodeAttributes attributes) {
}
