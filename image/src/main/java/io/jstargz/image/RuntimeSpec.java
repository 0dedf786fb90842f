package io.jstargz.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal OCI runtime spec ({@code config.json}) for running an image's workload with runc: the process from the
 * image config (entrypoint and cmd, or the given command; env, working directory, user), the usual {@code /proc},
 * {@code /dev} and {@code /sys} mounts, new pid, mount, ipc, uts and network namespaces (the network namespace is
 * empty: the workload reaches nothing), Docker's default capabilities; and what {@link WorkloadSettings} adds or
 * changes (env, user, working directory, entrypoint and args, mounts, the host's network).
 */
final class RuntimeSpec {
    static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final List<String> CAPABILITIES = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
            "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_SYS_CHROOT");

    /** The workload's process. */
    record Process(List<String> args, List<String> env, String cwd, long uid, long gid) {
        Process {
            args = List.copyOf(args);
            env = List.copyOf(env);
        }
    }

    /** Reads a file of the image's final filesystem, or returns null when it has none. */
    @FunctionalInterface
    interface ImageFiles {
        String read(String path) throws IOException;
    }

    private RuntimeSpec() {
    }

    /**
     * The process the image config describes, with {@code settings} over it: {@code command} if not empty, else the
     * entrypoint and cmd; the env (with a default {@code PATH}), working directory and user (names looked up in the
     * image's {@code /etc/passwd} and {@code /etc/group}).
     */
    static Process process(JsonNode imageConfig, List<String> command, WorkloadSettings settings, ImageFiles files)
            throws IOException {
        JsonNode c = imageConfig.path("config");
        List<String> args = new ArrayList<>(command);
        if (args.isEmpty()) {
            if (settings.entrypoint().isEmpty()) {
                c.path("Entrypoint").forEach(a -> args.add(a.asText()));
            } else {
                args.addAll(settings.entrypoint());
            }
            if (settings.args() != null) {
                args.addAll(settings.args());
            } else if (settings.entrypoint().isEmpty()) {
                c.path("Cmd").forEach(a -> args.add(a.asText()));
            }
        }
        if (args.isEmpty()) {
            throw new IOException("the image has neither an entrypoint nor a cmd: give the command to run after --");
        }
        Map<String, String> env = new LinkedHashMap<>();
        c.path("Env").forEach(e -> put(env, e.asText()));
        settings.env().forEach(e -> put(env, e));
        env.putIfAbsent("PATH", DEFAULT_PATH.substring("PATH=".length()));
        String cwd = settings.cwd().isEmpty() ? c.path("WorkingDir").asText("") : settings.cwd();
        long[] ids = user(settings.user().isEmpty() ? c.path("User").asText("") : settings.user(), files);
        return new Process(args, env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList(),
                cwd.isEmpty() ? "/" : cwd, ids[0], ids[1]);
    }

    private static void put(Map<String, String> env, String keyValue) {
        int eq = keyValue.indexOf('=');
        env.put(eq < 0 ? keyValue : keyValue.substring(0, eq), eq < 0 ? "" : keyValue.substring(eq + 1));
    }

    /** uid and gid for the config's {@code User}: {@code user[:group]}, each a name or a number. */
    static long[] user(String spec, ImageFiles files) throws IOException {
        if (spec.isEmpty()) {
            return new long[] {0, 0};
        }
        int colon = spec.indexOf(':');
        String user = colon < 0 ? spec : spec.substring(0, colon);
        String group = colon < 0 ? null : spec.substring(colon + 1);
        long uid;
        long gid = 0;
        String[] passwd = lookup(files.read("etc/passwd"), user, 2);
        if (user.matches("\\d+")) {
            uid = Long.parseLong(user);
        } else if (passwd != null) {
            uid = Long.parseLong(passwd[2]);
        } else {
            throw new IOException("the image's user '" + user + "' is not in its /etc/passwd");
        }
        if (passwd != null && passwd.length > 3 && passwd[3].matches("\\d+")) {
            gid = Long.parseLong(passwd[3]);
        }
        if (group != null) {
            if (group.matches("\\d+")) {
                gid = Long.parseLong(group);
            } else {
                String[] g = lookup(files.read("etc/group"), group, 2);
                if (g == null) {
                    throw new IOException("the image's group '" + group + "' is not in its /etc/group");
                }
                gid = Long.parseLong(g[2]);
            }
        }
        return new long[] {uid, gid};
    }

    /** The line of a passwd or group file whose name (or, for a number, whose id field) matches. */
    private static String[] lookup(String file, String name, int idField) {
        if (file == null) {
            return null;
        }
        for (String line : file.split("\n")) {
            String[] f = line.split(":", -1);
            if (f.length > idField && (f[0].equals(name) || f[idField].equals(name)) && f[idField].matches("\\d+")) {
                return f;
            }
        }
        return null;
    }

    /** The {@code config.json} for {@code process} with {@code rootfs} as the root. */
    static byte[] render(Path rootfs, Process process, String hostname, WorkloadSettings settings)
            throws IOException {
        ObjectNode spec = Json.MAPPER.createObjectNode();
        spec.put("ociVersion", "1.0.2");
        ObjectNode p = spec.putObject("process");
        p.put("terminal", false);
        p.putObject("user").put("uid", process.uid()).put("gid", process.gid());
        strings(p.putArray("args"), process.args());
        strings(p.putArray("env"), process.env());
        p.put("cwd", process.cwd());
        ObjectNode caps = p.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            strings(caps.putArray(set), CAPABILITIES);
        }
        p.putArray("rlimits").addObject().put("type", "RLIMIT_NOFILE").put("hard", 1024).put("soft", 1024);
        p.put("noNewPrivileges", true);
        spec.putObject("root").put("path", rootfs.toAbsolutePath().toString()).put("readonly", false);
        spec.put("hostname", hostname);
        ArrayNode mounts = spec.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                "mode=0620");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        for (WorkloadSettings.Mount m : settings.mounts()) {
            mount(mounts, m.destination(), m.type(), m.source(), m.options().toArray(String[]::new));
        }
        ObjectNode linux = spec.putObject("linux");
        linux.putObject("resources").putArray("devices").addObject().put("allow", false).put("access", "rwm");
        ArrayNode namespaces = linux.putArray("namespaces");
        for (String ns : settings.netHost() ? List.of("pid", "ipc", "uts", "mount")
                : List.of("pid", "network", "ipc", "uts", "mount")) {
            namespaces.addObject().put("type", ns);
        }
        strings(linux.putArray("maskedPaths"), List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                "/sys/firmware", "/proc/scsi"));
        strings(linux.putArray("readonlyPaths"), List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                "/proc/sysrq-trigger"));
        return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec);
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject().put("destination", destination).put("type", type).put("source", source);
        if (options.length > 0) {
            strings(m.putArray("options"), List.of(options));
        }
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
