package io.jstargz.image;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How {@code image optimize} runs the workload beside what the image config says, as ctr-remote's optimize flags do.
 *
 * @param env        {@code KEY=VALUE} pairs added to the image's environment, replacing a key it sets
 * @param mounts     extra mounts into the container
 * @param user       {@code user[:group]} (names or numbers) instead of the image's; {@code ""}: the image's
 * @param cwd        the working directory instead of the image's; {@code ""}: the image's
 * @param netHost    run in the host's network namespace instead of an empty one
 * @param entrypoint the entrypoint instead of the image's (its cmd then goes too, as in Docker); empty: the image's
 * @param args       the arguments instead of the image's cmd; null: the image's (or none with {@code entrypoint})
 */
public record WorkloadSettings(List<String> env, List<Mount> mounts, String user, String cwd, boolean netHost,
                               List<String> entrypoint, List<String> args) {

    /** What the image config says, nothing more. */
    public static final WorkloadSettings NONE = new WorkloadSettings(List.of(), List.of(), "", "", false, List.of(),
            null);

    /**
     * A mount into the workload's container.
     *
     * @param type        e.g. {@code bind}, {@code tmpfs}
     * @param source      host path (bind) or source name
     * @param destination where it appears in the container (absolute)
     * @param options     mount options, e.g. {@code rbind}, {@code ro}
     */
    public record Mount(String type, String source, String destination, List<String> options) {
        public Mount {
            options = List.copyOf(options);
            if (!destination.startsWith("/")) {
                throw new IllegalArgumentException("mount destination must be an absolute path, got '" + destination
                        + "'");
            }
        }

        /**
         * Parses ctr's syntax: {@code type=bind,src=/host,dst=/ctr,options=rbind:ro} ({@code source},
         * {@code destination} and {@code target} also name the paths); type defaults to {@code bind}, a bind mount
         * to {@code rbind}.
         */
        public static Mount parse(String spec) {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String part : spec.split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("mount '" + spec + "': '" + part + "' is not key=value");
                }
                String key = part.substring(0, eq);
                String canonical = switch (key) {
                    case "type", "options" -> key;
                    case "src", "source" -> "source";
                    case "dst", "destination", "target" -> "destination";
                    default -> throw new IllegalArgumentException("mount '" + spec + "': unknown key '" + key
                            + "' (type, source, destination, options)");
                };
                fields.put(canonical, part.substring(eq + 1));
            }
            String type = fields.getOrDefault("type", "bind");
            String source = fields.get("source");
            String destination = fields.get("destination");
            if (destination == null || (source == null && type.equals("bind"))) {
                throw new IllegalArgumentException("mount '" + spec + "' needs "
                        + (destination == null ? "destination=" : "source="));
            }
            List<String> options = new ArrayList<>();
            String given = fields.getOrDefault("options", "");
            if (!given.isEmpty()) {
                options.addAll(List.of(given.split(":")));
            }
            if (type.equals("bind") && !options.contains("bind") && !options.contains("rbind")) {
                options.add("rbind");
            }
            return new Mount(type, source == null ? type : source, destination, options);
        }
    }

    public WorkloadSettings {
        env = List.copyOf(env);
        mounts = List.copyOf(mounts);
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(cwd, "cwd");
        entrypoint = List.copyOf(entrypoint);
        args = args == null ? null : List.copyOf(args);
        for (String e : env) {
            if (e.indexOf('=') <= 0) {
                throw new IllegalArgumentException("environment variable '" + e + "' is not KEY=VALUE");
            }
        }
        if (!cwd.isEmpty() && !cwd.startsWith("/")) {
            throw new IllegalArgumentException("the working directory must be an absolute path, got '" + cwd + "'");
        }
    }
}
