package io.jstargz.fs;

/**
 * Told about the files a workload uses, e.g. to record which files an image's entrypoint reads so they can be
 * prioritized (prefetched) in an optimized image. Called once per file, on its first open, in the order the files
 * were first opened; from FUSE threads, so it must be quick and thread-safe.
 */
@FunctionalInterface
public interface AccessListener {

    /**
     * A regular file was opened for the first time since the layer was mounted.
     *
     * @param path the path in the layer, without a leading slash (for a hardlinked file, the path of the entry that
     *             holds its content, whichever name it was opened by)
     */
    void firstOpened(String path);
}
