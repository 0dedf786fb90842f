package io.jstargz.fs.binding;

import io.jstargz.fs.binding.jnr.JnrFuseBinding;
import io.jstargz.fs.binding.linux.Unmounter;
import java.util.Locale;

/**
 * Chooses the FUSE binding. The kernel binding speaks the FUSE protocol on {@code /dev/fuse} through the FFM API, so
 * it needs JDK 22 or later, and it mounts with mount(2), so it needs root; its classes are compiled for JDK 22 and
 * loaded only when both hold. jnr-fuse (libfuse 2) serves everywhere else. {@link Choice#AUTO} takes the kernel
 * binding wherever it can run; the system property {@value #PROPERTY} overrides the default choice (tests use it to
 * run the same suite on each binding).
 */
public final class FuseBindings {
    /** System property naming the default choice: {@code auto}, {@code kernel} or {@code jnr}. */
    public static final String PROPERTY = "jstargz.fuse.binding";
    private static final int FFM_FEATURE = 22;
    private static final String KERNEL_BINDING = "io.jstargz.fs.binding.kernel.KernelFuseBinding";

    /** Which binding to use. */
    public enum Choice {
        /** The kernel binding where the JDK and the user allow it, else jnr-fuse. */
        AUTO,
        /** The kernel binding; an error where it cannot run. */
        KERNEL,
        /** jnr-fuse. */
        JNR;

        /** A choice by its configured name ({@code auto}, {@code kernel}, {@code jnr}). */
        public static Choice of(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown FUSE binding \"" + name
                        + "\": expected auto, kernel or jnr", e);
            }
        }
    }

    private FuseBindings() {
    }

    /** The binding {@value #PROPERTY} asks for, {@link Choice#AUTO} when it is not set. */
    public static FuseBinding byDefault() {
        return create(Choice.of(System.getProperty(PROPERTY, "auto")));
    }

    /**
     * The binding for {@code choice}.
     *
     * @throws IllegalStateException if the kernel binding is asked for where it cannot run (the message says why)
     */
    public static FuseBinding create(Choice choice) {
        return switch (choice) {
            case JNR -> new JnrFuseBinding();
            case KERNEL -> {
                String why = whyNoKernelBinding();
                if (why != null) {
                    throw new IllegalStateException("the kernel FUSE binding cannot run here: " + why);
                }
                yield kernelBinding();
            }
            case AUTO -> whyNoKernelBinding() == null ? kernelBinding() : new JnrFuseBinding();
        };
    }

    /** Why the kernel binding cannot run in this process, or null if it can. */
    public static String whyNoKernelBinding() {
        int feature = Runtime.version().feature();
        if (feature < FFM_FEATURE) {
            return "it needs JDK " + FFM_FEATURE + " or later (the FFM API), this is JDK " + feature;
        }
        if (!Unmounter.isRoot()) {
            return "it mounts with mount(2), which needs root";
        }
        return null;
    }

    private static FuseBinding kernelBinding() {
        try {
            return (FuseBinding) Class.forName(KERNEL_BINDING).getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("cannot load the kernel FUSE binding " + KERNEL_BINDING + ": " + e, e);
        }
    }
}
