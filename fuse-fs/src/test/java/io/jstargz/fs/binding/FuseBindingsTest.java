package io.jstargz.fs.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Choosing the FUSE binding by name. */
class FuseBindingsTest {

    @Test
    void namesAreTheConfiguredOnesInAnyCase() {
        assertEquals(FuseBindings.Choice.AUTO, FuseBindings.Choice.of("auto"));
        assertEquals(FuseBindings.Choice.KERNEL, FuseBindings.Choice.of(" Kernel "));
        assertEquals(FuseBindings.Choice.JNR, FuseBindings.Choice.of("JNR"));
        assertEquals("jnr", FuseBindings.create(FuseBindings.Choice.JNR).name());
    }

    @Test
    void anUnknownNameIsAnErrorNamingTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FuseBindings.Choice.of("libfuse3"));
        assertEquals("unknown FUSE binding \"libfuse3\": expected auto, kernel or jnr", e.getMessage());
    }

    @Test
    void theKernelBindingIsRefusedWithTheReasonWhereItCannotRun() {
        String why = FuseBindings.whyNoKernelBinding();
        if (why == null) {
            assertEquals("kernel", FuseBindings.create(FuseBindings.Choice.KERNEL).name());
        } else {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> FuseBindings.create(FuseBindings.Choice.KERNEL));
            assertEquals("the kernel FUSE binding cannot run here: " + why, e.getMessage());
        }
    }
}
