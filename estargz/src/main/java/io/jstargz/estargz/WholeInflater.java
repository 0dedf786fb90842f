package io.jstargz.estargz;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inflates a span's gzip members whole, in one native call, with a library faster than the JDK's zlib. Once a span
 * is fetched all its chunks are wanted, so zlib's streaming buys nothing there, and libdeflate inflates the python
 * image's members in under half of zlib's time (docs/benchmarks.md, "Spans inflated whole"). Inflating is most of
 * the CPU a prefetch, a background fetch or a read that misses costs.
 *
 * <p>It needs the FFM API (JDK 22 and later) and {@code libdeflate.so.0} (Debian's {@code libdeflate0}). Where either
 * is missing, or {@code -Djstargz.libdeflate=false} turns it off, spans stream through zlib as before; the log says
 * once which of the two inflates.
 */
interface WholeInflater {
    /**
     * The bytes the gzip members that fill {@code in[off, off + len)} inflate to, if they are at most
     * {@code capacity}; each member's CRC32 and ISIZE are checked. Null when the bytes are not such members or
     * inflate to more: the streaming path then decodes them and says what is wrong.
     */
    byte[] inflate(byte[] in, int off, int len, int capacity);

    /** The whole-span inflater of this process, or null to stream through zlib. */
    static WholeInflater get() {
        return Loaded.INSTANCE;
    }

    /** Loads the library once, on first use. */
    final class Loaded {
        private static final Logger LOG = LoggerFactory.getLogger(WholeInflater.class);
        private static final String IMPLEMENTATION = "io.jstargz.estargz.Libdeflate";
        private static final int FFM_FEATURE = 22;
        static final WholeInflater INSTANCE = load();

        private Loaded() {
        }

        private static WholeInflater load() {
            String why;
            if (!Boolean.parseBoolean(System.getProperty("jstargz.libdeflate", "true"))) {
                why = "-Djstargz.libdeflate=false";
            } else if (Runtime.version().feature() < FFM_FEATURE) {
                why = "libdeflate needs JDK " + FFM_FEATURE + " or later (the FFM API), this is JDK "
                        + Runtime.version().feature();
            } else {
                try {
                    WholeInflater inflater = (WholeInflater) Class.forName(IMPLEMENTATION).getDeclaredConstructor()
                            .newInstance();
                    LOG.info("spans are inflated with {}", inflater);
                    return inflater;
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    why = "libdeflate cannot be loaded: " + cause.getMessage();
                }
            }
            LOG.info("spans are inflated with zlib (java.util.zip): {}", why);
            return null;
        }
    }
}
