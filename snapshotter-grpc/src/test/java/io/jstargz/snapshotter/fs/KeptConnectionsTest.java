package io.jstargz.snapshotter.fs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.fs.binding.FuseBindings;
import org.junit.jupiter.api.Test;

/** What {@code jstargz status} says an upgrade does on jnr-fuse (on the kernel binding: CrashSurvivalTest). */
class KeptConnectionsTest {

    @Test
    void statusSaysPlainlyThatOnJnrFuseAnUpgradeEndsTheLayers() {
        String jnr = KeptConnections.upgrade(FuseBindings.create(FuseBindings.Choice.JNR));
        assertTrue(jnr.startsWith("layers end with an upgrade: the jnr FUSE binding cannot hand its connections over"),
                jnr);
    }
}
