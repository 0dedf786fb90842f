package io.jstargz.remote.hosts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Registry host configuration in containerd's layout, so operators reuse the files they have for containerd:
 * {@code <root>/<host>/hosts.toml} (also {@code <host>_<port>_} for a host with a port, and {@code _default}) with
 * {@code server}, ordered {@code [host."…"]} mirrors, {@code capabilities}, {@code ca}, {@code client},
 * {@code skip_verify}, {@code header} and {@code override_path}. A directory without hosts.toml contributes docker's
 * certificate files ({@code *.crt} CAs, {@code *.cert}/{@code *.key} client pairs).
 *
 * <p>Files are re-read when they change, like containerd does.
 */
public final class HostsDirectory {

    private static final TomlMapper TOML = new TomlMapper();
    private static final String DOCKER_HUB = "docker.io";
    private static final String DOCKER_HUB_HOST = "registry-1.docker.io";

    private record Parsed(Path file, FileTime modified, List<RegistryHost> hosts) {
    }

    private final Path root;
    private final Predicate<String> plainHttpByDefault;
    private final Map<String, Parsed> cache = new ConcurrentHashMap<>();

    /**
     * @param root               containerd's {@code config_path}; may be absent
     * @param plainHttpByDefault registries whose default server is reached over plain HTTP
     */
    public HostsDirectory(Path root, Predicate<String> plainHttpByDefault) {
        this.root = root;
        this.plainHttpByDefault = plainHttpByDefault;
    }

    /**
     * The endpoints for {@code registry}, in the order to try them: mirrors as listed, then the server.
     *
     * @throws IOException if the registry's hosts.toml is malformed or names a file that cannot be read
     */
    public List<RegistryHost> hosts(String registry) throws IOException {
        Path dir = hostDirectory(registry);
        if (dir == null) {
            return List.of(defaultServer(registry, Set.of(), List.of(), List.of(), false, Map.of()));
        }
        Path file = dir.resolve("hosts.toml");
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(file);
        } catch (NoSuchFileException e) {
            modified = Files.getLastModifiedTime(dir);
        }
        Parsed cached = cache.get(registry);
        if (cached != null && cached.file.equals(file) && cached.modified.equals(modified)) {
            return cached.hosts;
        }
        List<RegistryHost> hosts = Files.isRegularFile(file)
                ? parse(registry, dir, Files.readString(file))
                : List.of(certificateFiles(registry, dir));
        cache.put(registry, new Parsed(file, modified, hosts));
        return hosts;
    }

    private Path hostDirectory(String registry) {
        if (root == null) {
            return null;
        }
        List<String> names = new ArrayList<>();
        int colon = registry.lastIndexOf(':');
        if (colon > 0 && !registry.endsWith("]")) {
            names.add(registry.substring(0, colon) + "_" + registry.substring(colon + 1) + "_");
        }
        names.add(registry);
        names.add("_default");
        for (String name : names) {
            Path dir = root.resolve(name);
            if (Files.isDirectory(dir)) {
                return dir;
            }
        }
        return null;
    }

    /** Parses one hosts.toml for {@code registry}; relative certificate paths are relative to {@code dir}. */
    List<RegistryHost> parse(String registry, Path dir, String toml) throws IOException {
        Path file = dir.resolve("hosts.toml");
        JsonNode tree;
        try {
            tree = TOML.readTree(toml);
        } catch (IOException e) {
            throw new IOException(file + ": not valid TOML: " + e.getMessage(), e);
        }
        List<RegistryHost> hosts = new ArrayList<>();
        JsonNode hostTable = tree.path("host");
        for (Iterator<Map.Entry<String, JsonNode>> it = hostTable.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            hosts.add(hostEntry(registry, entry.getKey(), entry.getValue(), dir, file, true));
        }
        String server = tree.path("server").asText("");
        hosts.add(server.isEmpty()
                ? defaultServer(registry, capabilities(tree, file), paths(tree.get("ca"), dir, file, "ca"),
                clientCertificates(tree.get("client"), dir, file), tree.path("skip_verify").asBoolean(false),
                headers(tree.get("header"), file))
                : hostEntry(registry, server, tree, dir, file, false));
        return List.copyOf(hosts);
    }

    private RegistryHost hostEntry(String registry, String url, JsonNode config, Path dir, Path file, boolean mirror)
            throws IOException {
        if (url.contains("://") && !url.startsWith("http://") && !url.startsWith("https://")) {
            throw new IOException(file + ": invalid host URL '" + url + "': expected http(s)://host[:port][/path]");
        }
        String u = url.contains("://") ? url : "https://" + url;
        URI uri;
        try {
            uri = URI.create(u);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": invalid host URL '" + url + "'", e);
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getRawAuthority() == null) {
            throw new IOException(file + ": invalid host URL '" + url + "': expected http(s)://host[:port][/path]");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        boolean override = config.path("override_path").asBoolean(false);
        if (!path.isEmpty()) {
            path = Path.of(path).normalize().toString();
            if (path.equals("/")) {
                path = "";
            }
        }
        if (!override && !path.endsWith("/v2")) {
            path = path + "/v2";
        }
        return new RegistryHost(registry, scheme, uri.getRawAuthority(), path, capabilities(config, file),
                paths(config.get("ca"), dir, file, "ca"), clientCertificates(config.get("client"), dir, file),
                config.path("skip_verify").asBoolean(false), headers(config.get("header"), file), mirror);
    }

    private RegistryHost defaultServer(String registry, Set<Capability> capabilities, List<Path> ca,
                                       List<RegistryHost.ClientCertificate> clients, boolean skipVerify,
                                       Map<String, List<String>> headers) {
        boolean hub = registry.equals(DOCKER_HUB);
        // certificates configured for a host mean it speaks TLS, even where plain HTTP is the default
        boolean tlsConfigured = !ca.isEmpty() || !clients.isEmpty() || skipVerify;
        String scheme = !hub && !tlsConfigured && plainHttpByDefault.test(registry) ? "http" : "https";
        return new RegistryHost(registry, scheme, hub ? DOCKER_HUB_HOST : registry, "/v2",
                capabilities.isEmpty() ? EnumSet.allOf(Capability.class) : capabilities, ca, clients, skipVerify,
                headers, false);
    }

    private RegistryHost certificateFiles(String registry, Path dir) throws IOException {
        List<Path> ca = new ArrayList<>();
        List<RegistryHost.ClientCertificate> clients = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(".crt")) {
                    ca.add(f);
                } else if (name.endsWith(".cert")) {
                    Path key = dir.resolve(name.substring(0, name.length() - 5) + ".key");
                    if (!Files.isRegularFile(key)) {
                        throw new IOException(dir + ": client certificate " + name + " has no matching .key file");
                    }
                    clients.add(new RegistryHost.ClientCertificate(f, key));
                }
            }
        }
        ca.sort(null);
        return defaultServer(registry, Set.of(), ca, clients, false, Map.of());
    }

    private static Set<Capability> capabilities(JsonNode config, Path file) throws IOException {
        JsonNode caps = config.get("capabilities");
        if (caps == null || caps.isEmpty()) {
            return EnumSet.allOf(Capability.class);
        }
        Set<Capability> out = EnumSet.noneOf(Capability.class);
        for (JsonNode c : caps) {
            try {
                out.add(Capability.valueOf(c.asText().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": unknown capability '" + c.asText() + "' (pull, resolve, push)", e);
            }
        }
        return out;
    }

    private static List<Path> paths(JsonNode node, Path dir, Path file, String key) throws IOException {
        List<Path> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (node.isTextual()) {
            out.add(dir.resolve(node.asText()));
        } else if (node.isArray()) {
            for (JsonNode p : node) {
                if (!p.isTextual()) {
                    throw new IOException(file + ": '" + key + "' must hold file paths, found " + p);
                }
                out.add(dir.resolve(p.asText()));
            }
        } else {
            throw new IOException(file + ": '" + key + "' must be a path or a list of paths, found " + node);
        }
        return out;
    }

    private static List<RegistryHost.ClientCertificate> clientCertificates(JsonNode node, Path dir, Path file)
            throws IOException {
        List<RegistryHost.ClientCertificate> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (node.isTextual()) {
            out.add(new RegistryHost.ClientCertificate(dir.resolve(node.asText()), null));
            return out;
        }
        if (!node.isArray()) {
            throw new IOException(file + ": 'client' must be a path, a list of paths or of [cert, key] pairs");
        }
        for (JsonNode entry : node) {
            if (entry.isTextual()) {
                out.add(new RegistryHost.ClientCertificate(dir.resolve(entry.asText()), null));
            } else if (entry.isArray() && entry.size() == 2) {
                out.add(new RegistryHost.ClientCertificate(dir.resolve(entry.get(0).asText()),
                        dir.resolve(entry.get(1).asText())));
            } else {
                throw new IOException(file + ": invalid 'client' entry " + entry + ": expected a path or [cert, key]");
            }
        }
        return out;
    }

    private static Map<String, List<String>> headers(JsonNode node, Path file) throws IOException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            List<String> values = new ArrayList<>();
            if (h.getValue().isTextual()) {
                values.add(h.getValue().asText());
            } else if (h.getValue().isArray()) {
                for (JsonNode v : h.getValue()) {
                    values.add(v.asText());
                }
            } else {
                throw new IOException(file + ": header '" + h.getKey() + "' must be a string or a list of strings");
            }
            out.put(h.getKey(), values);
        }
        return out;
    }
}
