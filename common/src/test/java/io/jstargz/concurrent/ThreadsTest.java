package io.jstargz.concurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

class ThreadsTest {
    private static final int SCHED_IDLE = 5;

    @Test
    void backgroundThreadsRunUnderTheIdlePolicyAndOthersAsTheProcessDoes() throws Exception {
        int own = policyOfThisThread();
        assertEquals(SCHED_IDLE, policyOn(Threads.background("test-background")));
        assertEquals(own, policyOn(Threads.named("test-named")));
        assertEquals(SCHED_IDLE, CompletableFuture.supplyAsync(ThreadsTest::policyOfThisThread,
                ThreadPools.background("test-pool", 1)).get());
    }

    private static int policyOn(ThreadFactory factory) throws Exception {
        CompletableFuture<Integer> policy = new CompletableFuture<>();
        Thread t = factory.newThread(() -> policy.complete(policyOfThisThread()));
        t.start();
        return policy.get();
    }

    /** Field 41 of /proc/thread-self/stat: the calling thread's scheduling policy, as the kernel keeps it. */
    private static int policyOfThisThread() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[41 - 3]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
