package io.jstargz.snapshotter;

import static io.jstargz.snapshotter.Rpc.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.jstargz.BuildInfo;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.snapshotter.PushedLayers.Pushed;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.ConfigLoader;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics an operator alerts on, scraped from a real daemon's endpoint while it mounts a layer from a real
 * registry and serves a read that misses the cache; and the Grafana dashboard in dist/ queries only metrics the daemon
 * exports.
 */
@SuppressWarnings("try") // daemon and client kept open for a block
class MetricsEndpointTest {
    private static final String DURATION = "jstargz_operation_duration_seconds_count{op=\"%s\"}";

    @TempDir
    Path tmp;

    @Test
    void theSeriesExistFromTheStartAndMoveWithPrepareMountsReadsAndRegistryRequests() throws Exception {
        byte[] data = new byte[2 << 20];
        new Random(3).nextBytes(data);
        try (RegistryServer registry = RegistryServer.start();
             RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                     .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
            ImageReference repo = ImageReference.parse(registry.host() + "/metrics:1");
            Pushed layer = PushedLayers.estargz(client, repo, new LayerBuilder().file("data.bin", data, 0644));
            // nothing fetched ahead: the read below misses the cache and fetches on demand
            Config config = ConfigLoader.parse("root = \"" + tmp.resolve("root") + "\"\naddress = \""
                    + tmp.resolve("s.sock") + "\"\nwarm_up = false\nmetrics_address = \"127.0.0.1:0\"\n[fetch]\n"
                    + "prefetch = false\nbackground_fetch = false\n[registry]\nhosts_dir = \"" + tmp.resolve("none")
                    + "\"\n", "test");
            try (LogWatch log = new LogWatch(); Daemon d = Daemon.start(config);
                 GrpcClient c = new GrpcClient(config.address())) {
                String url = "http://127.0.0.1:" + d.metricsPort().orElseThrow() + "/metrics";
                Scrape before = Scrape.of(url);
                for (String op : List.of("prepare", "mount", "on_demand_fetch", "registry_request")) {
                    assertEquals(0, before.value(DURATION.formatted(op)), op);
                }
                assertEquals(1, before.value("jstargz_build_info{java_version=\"" + Runtime.version()
                        + "\",version=\"" + BuildInfo.current().version() + "\"}"));
                assertTrue(before.value("jvm_memory_used_bytes{area=\"heap\"}") > 0, before.text());
                assertTrue(before.value("process_open_fds") > 0, before.text());

                fails(Status.Code.ALREADY_EXISTS, () -> new Rpc(c.snapshots("default")).prepare(
                        "default/1/extract-1 sha256:c1", "", Map.of("containerd.io/snapshot.ref", "sha256:c1",
                                "containerd.io/snapshot/cri.image-ref", repo.toString(),
                                "containerd.io/snapshot/cri.layer-digest", layer.digest(),
                                "containerd.io/snapshot/stargz/toc.digest", layer.tocDigest())));
                // Prepare answers before the mount serves
                log.await(Duration.ofSeconds(60), layer.digest(), "mounted at");
                Path mountPoint = Path.of(c.introspection().listLayers(ListLayersRequest.getDefaultInstance())
                        .getLayers(0).getRemote().getMountPoint());
                String fetched = "jstargz_layer_fetched_bytes{layer=\"" + layer.digest() + "\"}";
                double atMount = Scrape.of(url).value(fetched);
                assertArrayEquals(data, Files.readAllBytes(mountPoint.resolve("data.bin")));

                Scrape after = Scrape.of(url);
                assertEquals(1, after.value(DURATION.formatted("prepare")));
                assertEquals(1, after.value(DURATION.formatted("mount")));
                assertTrue(after.value(DURATION.formatted("on_demand_fetch")) >= 1, after.text());
                assertTrue(after.value(DURATION.formatted("registry_request")) >= 2, after.text());
                assertTrue(after.value("jstargz_operation_duration_seconds_sum{op=\"mount\"}") > 0, after.text());
                // a histogram's last bucket holds every observation
                assertEquals(after.value(DURATION.formatted("registry_request")),
                        after.value("jstargz_operation_duration_seconds_bucket{op=\"registry_request\",le=\"+Inf\"}"));
                assertEquals(layer.size(), after.value("jstargz_layer_size_bytes{layer=\"" + layer.digest() + "\"}"));
                assertTrue(after.value(fetched) > atMount, atMount + " -> " + after.value(fetched));
                assertTrue(after.value(fetched) <= layer.size(), after.text());

                Set<String> missing = new TreeSet<>(dashboardMetrics());
                missing.removeAll(after.names());
                assertEquals(Set.of(), missing, "metrics the dashboard queries that the daemon does not export");
            }
        }
    }

    /** Every metric name in the PromQL expressions of dist/grafana-dashboard.json. */
    private static List<String> dashboardMetrics() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Path.of(System.getProperty("jstargz.repo"), "dist",
                "grafana-dashboard.json").toFile());
        List<String> names = new ArrayList<>();
        Pattern metric = Pattern.compile("\\b(?:jstargz|jvm|process)_[a-z_]+\\b");
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher m = metric.matcher(target.get("expr").asText());
                while (m.find()) {
                    names.add(m.group());
                }
            }
        }
        assertTrue(names.size() >= 10, names::toString);
        return names;
    }
}
