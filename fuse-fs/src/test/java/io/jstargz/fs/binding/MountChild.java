package io.jstargz.fs.binding;

import io.jstargz.fs.binding.linux.MountWatchdog;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A separate JVM that mounts a {@link MemoryTree} at {@code args[0]} (with the binding {@link FuseBindings#PROPERTY}
 * names), prints {@code mounted <watchdog pid>} and then serves until it is killed: lets tests kill a mounting process
 * with SIGKILL.
 */
public final class MountChild {
    private MountChild() {
    }

    public static void main(String[] args) throws Exception {
        MountHandle h = FuseBindings.byDefault().mount(Path.of(args[0]), new MemoryTree(),
                MountOptions.forLayer("memory-tree"));
        h.awaitMounted(Duration.ofSeconds(30));
        System.out.println("mounted " + MountWatchdog.instance().pid());
        System.out.flush();
        h.unmounted().get();
    }
}
