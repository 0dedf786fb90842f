package io.jstargz.snapshotter.handover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.fs.binding.FuseBindings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A takeover where there is nothing to take over, and on jnr-fuse, which cannot pass connections between processes
 * (these tests run on the JDK running Maven, 17, where jnr-fuse is the binding). The handover of real mounts between
 * two daemons on the kernel binding is CrashSurvivalTest's.
 */
class TakeoverTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final FuseBinding JNR = FuseBindings.create(FuseBindings.Choice.JNR);

    @TempDir
    Path root;

    @Test
    void withNoDaemonOnTheRootTheNewDaemonStartsAsUsual() throws IOException {
        assertEquals(Optional.empty(), Takeover.from(root, JNR, WAIT));
    }

    @Test
    void aDaemonOnJnrFuseDoesNotListenForATakeover() {
        HandoverListener.Owner owner = new HandoverListener.Owner() {
            @Override
            public int handOver(String inbox) {
                throw new AssertionError("nothing can ask");
            }

            @Override
            public void handedOver(long successor) {
                throw new AssertionError("nothing can ask");
            }
        };
        assertTrue(HandoverListener.start(root, JNR, owner).isEmpty());
        assertFalse(Files.exists(root.resolve(HandoverMessages.LISTENER)));
    }

    @Test
    void aNewDaemonOnJnrFuseCannotTakeOverAndSaysWhy() throws IOException {
        Files.writeString(root.resolve(HandoverMessages.LISTENER), "a daemon on the kernel binding listens here");
        IOException e = assertThrows(IOException.class, () -> Takeover.from(root, JNR, WAIT));
        assertTrue(e.getMessage().contains("the jnr FUSE binding cannot receive FUSE connections"), e.getMessage());
    }
}
