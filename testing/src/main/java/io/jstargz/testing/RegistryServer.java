package io.jstargz.testing;

import io.jstargz.concurrent.Threads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * A real OCI registry for tests: Debian's {@code docker-registry} (distribution 2.8) serving on 127.0.0.1 with a port
 * chosen by the kernel and a temporary storage directory. Optionally with htpasswd Basic auth, Bearer token auth
 * (through a {@link TokenServer}) or TLS. Its request log is parsed into a {@link RegistryAccessLog}.
 *
 * <p>Start one per test class; {@link #close()} stops the process and deletes its files.
 */
public final class RegistryServer implements AutoCloseable {

    /** The registry binary; tests fail loudly when it is missing ({@code scripts/setup.sh} installs it). */
    public static final Path BINARY = Path.of("/usr/bin/docker-registry");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final int KEPT_OUTPUT_LINES = 200;

    private final Process process;
    private final Path workDir;
    private final int port;
    private final HeldCertificate tlsCertificate;
    private final RegistryAccessLog accessLog;
    private final Deque<String> recentOutput;

    private RegistryServer(Process process, Path workDir, int port, HeldCertificate tlsCertificate,
                           RegistryAccessLog accessLog, Deque<String> recentOutput) {
        this.process = process;
        this.workDir = workDir;
        this.port = port;
        this.tlsCertificate = tlsCertificate;
        this.accessLog = accessLog;
        this.recentOutput = recentOutput;
    }

    /** Starts a registry without authentication, over plain HTTP. */
    public static RegistryServer start() throws IOException {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code 127.0.0.1:<port>}, the registry part of image references. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>} or {@code https://…} when started with TLS. */
    public String url() {
        return (tlsCertificate == null ? "http" : "https") + "://" + host();
    }

    /** Where the registry stores blobs and manifests. */
    public Path storageDir() {
        return workDir.resolve("storage");
    }

    /** The registry's requests, as it logged them. */
    public RegistryAccessLog accessLog() {
        return accessLog;
    }

    /** The registry's last output lines, for failure messages. */
    public String recentOutput() {
        synchronized (recentOutput) {
            return String.join("\n", recentOutput);
        }
    }

    /**
     * Waits until every request answered before this call is in the {@link #accessLog()}: sends a marker request and
     * waits for its log line.
     */
    public void syncAccessLog() throws IOException {
        String marker = "/v2/jstargz-sync/manifests/m" + UUID.randomUUID().toString().replace("-", "");
        sendProbe(url() + marker);
        accessLog.awaitUri(marker, START_TIMEOUT);
    }

    /**
     * A mark in the {@link #accessLog()} after every request answered so far has been logged: pass it to
     * {@link RegistryAccessLog#since(int)} to see exactly the requests made after this call.
     */
    public int accessLogMark() throws IOException {
        syncAccessLog();
        return accessLog.mark();
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteRecursively(workDir);
    }

    private void sendProbe(String url) throws IOException {
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(START_TIMEOUT);
        if (tlsCertificate != null) {
            client.sslContext(new HandshakeCertificates.Builder()
                    .addTrustedCertificate(tlsCertificate.certificate()).build().sslContext());
        }
        try {
            client.build().send(HttpRequest.newBuilder(URI.create(url)).timeout(START_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while probing " + url, e);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public String toString() {
        return "docker-registry at " + url();
    }

    /** Options for a {@link RegistryServer}. */
    public static final class Builder {
        private String basicUser;
        private String basicPassword;
        private TokenServer tokenServer;
        private HeldCertificate tlsCertificate;

        private Builder() {
        }

        /** Requires HTTP Basic auth with this user (an htpasswd file made with {@code htpasswd -B}). */
        public Builder basicAuth(String user, String password) {
            this.basicUser = user;
            this.basicPassword = password;
            return this;
        }

        /** Requires Bearer tokens issued by {@code server}. */
        public Builder tokenAuth(TokenServer server) {
            this.tokenServer = server;
            return this;
        }

        /** Serves HTTPS with this certificate (it needs 127.0.0.1 as a subject alternative name). */
        public Builder tls(HeldCertificate certificate) {
            this.tlsCertificate = certificate;
            return this;
        }

        public RegistryServer start() throws IOException {
            if (!Files.isExecutable(BINARY)) {
                throw new IllegalStateException(BINARY + " is missing: install the Debian package docker-registry"
                        + " (scripts/setup.sh does)");
            }
            if (basicUser != null && tokenServer != null) {
                throw new IllegalStateException("a registry uses either Basic or token auth, not both");
            }
            Path workDir = Files.createTempDirectory("jstargz-registry-");
            Path config = workDir.resolve("config.yml");
            Files.writeString(config, configYaml(workDir));
            Process process = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                    .redirectErrorStream(true)
                    .start();
            process.getOutputStream().close();
            RegistryAccessLog accessLog = new RegistryAccessLog();
            Deque<String> recent = new ArrayDeque<>();
            CompletableFuture<Integer> listening = new CompletableFuture<>();
            Threads.start("docker-registry-output-" + process.pid(),
                    () -> pumpOutput(process, accessLog, recent, listening));
            try {
                int port = listening.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return new RegistryServer(process, workDir, port, tlsCertificate, accessLog, recent);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw abort(process, workDir, recent, "interrupted while starting", e);
            } catch (ExecutionException | TimeoutException e) {
                throw abort(process, workDir, recent, "did not start within " + START_TIMEOUT, e);
            }
        }

        private String configYaml(Path workDir) throws IOException {
            StringBuilder yaml = new StringBuilder();
            yaml.append("version: 0.1\n")
                    .append("log:\n  level: info\n  formatter: json\n  accesslog:\n    disabled: true\n")
                    .append("storage:\n  filesystem:\n    rootdirectory: ").append(workDir.resolve("storage"))
                    .append("\n  delete:\n    enabled: true\n")
                    .append("  maintenance:\n    uploadpurging:\n      enabled: false\n")
                    .append("http:\n  addr: 127.0.0.1:0\n  secret: ").append(UUID.randomUUID()).append('\n');
            if (tlsCertificate != null) {
                Path cert = workDir.resolve("tls.crt");
                Path key = workDir.resolve("tls.key");
                Files.writeString(cert, tlsCertificate.certificatePem());
                Files.writeString(key, tlsCertificate.privateKeyPkcs8Pem());
                yaml.append("  tls:\n    certificate: ").append(cert).append("\n    key: ").append(key).append('\n');
            }
            if (basicUser != null) {
                Path htpasswd = workDir.resolve("htpasswd");
                Files.writeString(htpasswd, Htpasswd.bcryptLine(basicUser, basicPassword));
                yaml.append("auth:\n  htpasswd:\n    realm: jstargz-test\n    path: ").append(htpasswd).append('\n');
            }
            if (tokenServer != null) {
                Path bundle = workDir.resolve("token-root.pem");
                Files.writeString(bundle, tokenServer.rootCertificatePem());
                yaml.append("auth:\n  token:\n    realm: ").append(tokenServer.realm())
                        .append("\n    service: ").append(tokenServer.service())
                        .append("\n    issuer: ").append(tokenServer.issuer())
                        .append("\n    rootcertbundle: ").append(bundle).append('\n');
            }
            return yaml.toString();
        }

        private static void pumpOutput(Process process, RegistryAccessLog accessLog, Deque<String> recent,
                                       CompletableFuture<Integer> listening) {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (recent) {
                        recent.addLast(line);
                        if (recent.size() > KEPT_OUTPUT_LINES) {
                            recent.removeFirst();
                        }
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (!listening.isDone() && m.find()) {
                        listening.complete(Integer.parseInt(m.group(1)));
                    }
                    accessLog.accept(line);
                }
            } catch (IOException | UncheckedIOException e) {
                listening.completeExceptionally(e);
            }
            listening.completeExceptionally(new IOException("docker-registry exited"));
        }

        private static IOException abort(Process process, Path workDir, Deque<String> recent, String what,
                                         Exception cause) throws IOException {
            process.destroyForcibly();
            List<String> output;
            synchronized (recent) {
                output = new ArrayList<>(recent);
            }
            deleteRecursively(workDir);
            return new IOException("docker-registry " + what + "; its output:\n" + String.join("\n", output), cause);
        }
    }
}
