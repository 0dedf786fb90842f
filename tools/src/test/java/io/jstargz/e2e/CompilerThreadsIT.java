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
 * {@code jstargz serve} runs the JIT's compiler threads under the idle scheduling policy, below the daemon's own
 * threads, so that compiling does not take CPU from the containers starting beside it.
 */
class CompilerThreadsIT {
    @TempDir
    Path tmp;

    private static final int SCHED_OTHER = 0;
    private static final int SCHED_IDLE = 5;

    @Test
    void theCompilerThreadsRunUnderTheIdlePolicyAndTheDaemonsOwnDoNot() throws Exception {
        Path config = DaemonProcess.quietConfig(tmp, "jstargz");
        try (DaemonProcess d = DaemonProcess.start(config, tmp.resolve("jstargz.sock"), tmp.resolve("jstargz.log"))) {
            Map<String, Integer> policy = policyByThread(d.pid());
            List<String> compilers = policy.keySet().stream().filter(n -> n.contains("CompilerThre")).toList();
            assertFalse(compilers.isEmpty(), "no compiler thread among " + policy.keySet());
            for (String c : compilers) {
                assertEquals(SCHED_IDLE, policy.get(c), c + " of " + policy);
            }
            List<String> grpc = policy.keySet().stream().filter(n -> n.startsWith("jstargz-grpc")).toList();
            assertFalse(grpc.isEmpty(), "no gRPC thread among " + policy.keySet());
            for (String g : grpc) {
                assertEquals(SCHED_OTHER, policy.get(g), g + " of " + policy);
            }
        }
    }

    /** Each thread's scheduling policy by name and thread id, from {@code /proc/PID/task/TID/stat}. */
    private static Map<String, Integer> policyByThread(long pid) throws IOException {
        Map<String, Integer> policy = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String stat = Files.readString(task.resolve("stat"));
                // after the command's closing parenthesis: state is field 3, policy field 41
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                String name = Files.readString(task.resolve("comm")).strip() + " " + task.getFileName();
                policy.put(name, Integer.parseInt(fields[41 - 3]));
            }
        }
        return policy;
    }
}
