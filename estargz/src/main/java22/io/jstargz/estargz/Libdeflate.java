package io.jstargz.estargz;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * libdeflate's gzip decompressor through the FFM API. The call reads and writes the Java arrays in place (a critical
 * downcall, as zlib's JNI calls in {@link java.util.zip.Inflater} are), so nothing is copied to or from native memory.
 * A decompressor (about 10 KiB of tables) serves one call at a time: a few are pooled and shared by every layer.
 */
final class Libdeflate implements WholeInflater {
    private static final String LIBRARY = "libdeflate.so.0";
    private static final int SUCCESS = 0;
    private static final int POOLED = 32;

    private final MethodHandle alloc;
    private final MethodHandle free;
    private final MethodHandle gzipDecompress;
    private final BlockingQueue<MemorySegment> pool = new ArrayBlockingQueue<>(POOLED);

    /** Loads the library; throws IllegalArgumentException if it is not installed. */
    Libdeflate() {
        if (ValueLayout.ADDRESS.byteSize() != Long.BYTES) {
            throw new IllegalStateException("size_t is not 64 bits here");
        }
        Linker linker = Linker.nativeLinker();
        SymbolLookup library = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        alloc = linker.downcallHandle(symbol(library, "libdeflate_alloc_decompressor"),
                FunctionDescriptor.of(ValueLayout.ADDRESS));
        free = linker.downcallHandle(symbol(library, "libdeflate_free_decompressor"),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        // result (in, in_nbytes, out, out_nbytes_avail, actual_in_nbytes_ret, actual_out_nbytes_ret)
        gzipDecompress = linker.downcallHandle(symbol(library, "libdeflate_gzip_decompress_ex"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS),
                Linker.Option.critical(true));
    }

    private static MemorySegment symbol(SymbolLookup library, String name) {
        return library.find(name).orElseThrow(() -> new IllegalArgumentException(LIBRARY + " has no " + name));
    }

    @Override
    public byte[] inflate(byte[] in, int off, int len, int capacity) {
        MemorySegment decompressor = take();
        if (decompressor == null) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment counts = arena.allocate(ValueLayout.JAVA_LONG, 2);
            MemorySegment source = MemorySegment.ofArray(in);
            byte[] out = new byte[capacity];
            MemorySegment target = MemorySegment.ofArray(out);
            long read = 0;
            long written = 0;
            while (read < len) {
                int result = (int) gzipDecompress.invokeExact(decompressor, source.asSlice(off + read, len - read),
                        len - read, target.asSlice(written, capacity - written), capacity - written, counts,
                        counts.asSlice(Long.BYTES));
                if (result != SUCCESS) {
                    return null;
                }
                read += counts.get(ValueLayout.JAVA_LONG, 0);
                written += counts.get(ValueLayout.JAVA_LONG, Long.BYTES);
            }
            return written == capacity ? out : Arrays.copyOf(out, (int) written);
        } catch (Throwable e) {
            throw new IllegalStateException("libdeflate_gzip_decompress_ex failed: " + e, e);
        } finally {
            give(decompressor);
        }
    }

    private MemorySegment take() {
        MemorySegment d = pool.poll();
        if (d != null) {
            return d;
        }
        try {
            d = (MemorySegment) alloc.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException("libdeflate_alloc_decompressor failed: " + e, e);
        }
        return d.equals(MemorySegment.NULL) ? null : d;
    }

    private void give(MemorySegment decompressor) {
        if (!pool.offer(decompressor)) {
            try {
                free.invokeExact(decompressor);
            } catch (Throwable e) {
                throw new IllegalStateException("libdeflate_free_decompressor failed: " + e, e);
            }
        }
    }

    @Override
    public String toString() {
        return "libdeflate (" + LIBRARY + ")";
    }
}
