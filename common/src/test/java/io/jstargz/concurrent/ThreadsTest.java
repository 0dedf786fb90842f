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
    @Test
    void backgroundThreadsRunAtTheLowestPriorityAndOthersAsTheProcessDoes() throws Exception {
        int own = niceOfThisThread();
        assertEquals(19, niceOn(Threads.background("test-background")));
        assertEquals(own, niceOn(Threads.named("test-named")));
        assertEquals(19, CompletableFuture.supplyAsync(ThreadsTest::niceOfThisThread,
                ThreadPools.background("test-pool", 1)).get());
    }

    private static int niceOn(ThreadFactory factory) throws Exception {
        CompletableFuture<Integer> nice = new CompletableFuture<>();
        Thread t = factory.newThread(() -> nice.complete(niceOfThisThread()));
        t.start();
        return nice.get();
    }

    /** Field 19 of /proc/thread-self/stat: the calling thread's own nice value, as the kernel keeps it. */
    private static int niceOfThisThread() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[19 - 3]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
