package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/jstargz serve} runs the JIT's compiler threads at nice 19, below the daemon's own threads, so that
 * compiling does not take CPU from the containers starting beside it.
 */
class CompilerThreadsIT {
    @TempDir
    Path tmp;

    @Test
    void theCompilerThreadsRunAtTheLowestPriorityAndTheDaemonsOwnDoNot() throws Exception {
        Path config = DaemonProcess.quietConfig(tmp, "jstargz");
        try (DaemonProcess d = DaemonProcess.start(config, tmp.resolve("jstargz.sock"), tmp.resolve("jstargz.log"))) {
            Map<String, Integer> nice = niceByThread(d.pid());
            List<String> compilers = nice.keySet().stream().filter(n -> n.contains("CompilerThre")).toList();
            assertFalse(compilers.isEmpty(), "no compiler thread among " + nice.keySet());
            for (String c : compilers) {
                assertEquals(19, nice.get(c), c + " of " + nice);
            }
            List<String> grpc = nice.keySet().stream().filter(n -> n.startsWith("jstargz-grpc")).toList();
            assertFalse(grpc.isEmpty(), "no gRPC thread among " + nice.keySet());
            for (String g : grpc) {
                assertEquals(0, nice.get(g), g + " of " + nice);
            }
        }
    }

    /** Each thread's nice value by name and thread id, from {@code /proc/PID/task/TID/stat}. */
    private static Map<String, Integer> niceByThread(long pid) throws IOException {
        Map<String, Integer> nice = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String stat = Files.readString(task.resolve("stat"));
                // after the command's closing parenthesis: state is field 3, nice field 19
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                String name = Files.readString(task.resolve("comm")).strip() + " " + task.getFileName();
                nice.put(name, Integer.parseInt(fields[16]));
            }
        }
        return nice;
    }
}
