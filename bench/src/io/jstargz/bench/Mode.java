package io.jstargz.bench;

/** How an image is pulled and run: which snapshotter, which form of the image. */
enum Mode {
    /** The gzip image, containerd's overlayfs snapshotter, a full pull. */
    LEGACY("legacy", Snapshotter.OVERLAYFS, Variant.LEGACY),
    /** eStargz without prioritized files, lazily through jstargz. */
    LAZY_NOOPT("lazy-noopt", Snapshotter.JSTARGZ, Variant.ESGZ),
    /** eStargz optimized for the workload, lazily through jstargz. */
    LAZY_OPT("lazy-opt", Snapshotter.JSTARGZ, Variant.ESGZ_OPT),
    /** The reference snapshotter on the reference's eStargz without prioritized files. */
    REF_LAZY_NOOPT("ref-lazy-noopt", Snapshotter.STARGZ, Variant.REF_ESGZ),
    /** The reference snapshotter on the reference's optimized eStargz. */
    REF_LAZY_OPT("ref-lazy-opt", Snapshotter.STARGZ, Variant.REF_ESGZ_OPT);

    /** Who provides the snapshots: containerd itself or a proxy plugin daemon. */
    enum Snapshotter {
        OVERLAYFS("overlayfs"), JSTARGZ("jstargz"), STARGZ("stargz");

        final String name;

        Snapshotter(String name) {
            this.name = name;
        }
    }

    final String id;
    final Snapshotter snapshotter;
    private final Variant variant;

    Mode(String id, Snapshotter snapshotter, Variant variant) {
        this.id = id;
        this.snapshotter = snapshotter;
        this.variant = variant;
    }

    boolean lazy() {
        return snapshotter != Snapshotter.OVERLAYFS;
    }

    /** Whose eStargz conversions the lazy modes run. */
    enum ImagesBy {
        /** Each snapshotter its own converter's. */
        OWN,
        /** Both ctr-remote's. */
        CTR_REMOTE,
        /** Both jstargz's. */
        JSTARGZ
    }

    /** The image form this mode runs. */
    Variant variant(ImagesBy imagesBy) {
        if (!lazy() || imagesBy == ImagesBy.OWN) {
            return variant;
        }
        boolean optimized = variant.optimized;
        if (imagesBy == ImagesBy.CTR_REMOTE) {
            return optimized ? Variant.REF_ESGZ_OPT : Variant.REF_ESGZ;
        }
        return optimized ? Variant.ESGZ_OPT : Variant.ESGZ;
    }

    static Mode byId(String id) {
        for (Mode m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mode " + id
                + " (legacy, lazy-noopt, lazy-opt, ref-lazy-noopt, ref-lazy-opt)");
    }
}
