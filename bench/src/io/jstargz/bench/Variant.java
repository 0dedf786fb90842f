package io.jstargz.bench;

/** One form of an image in the registry, its tag there, and what makes it from the original gzip image. */
enum Variant {
    /** The image as built: gzip layers. */
    LEGACY("legacy", Converter.NONE, false),
    /** eStargz by the reference's {@code ctr-remote image optimize --no-optimize} (no prioritized files). */
    REF_ESGZ("ref-esgz", Converter.CTR_REMOTE, false),
    /** eStargz by {@code ctr-remote image optimize}, files the workload read first and prefetched. */
    REF_ESGZ_OPT("ref-esgz-opt", Converter.CTR_REMOTE, true),
    /** eStargz by {@code jstargz image convert}. */
    ESGZ("esgz", Converter.JSTARGZ, false),
    /** eStargz by {@code jstargz image optimize}. */
    ESGZ_OPT("esgz-opt", Converter.JSTARGZ, true);

    enum Converter { NONE, CTR_REMOTE, JSTARGZ }

    final String tag;
    final Converter converter;
    final boolean optimized;

    Variant(String tag, Converter converter, boolean optimized) {
        this.tag = tag;
        this.converter = converter;
        this.optimized = optimized;
    }
}
