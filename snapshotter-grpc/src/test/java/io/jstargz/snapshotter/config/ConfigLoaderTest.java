package io.jstargz.snapshotter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @Test
    void emptyFileGivesDefaults() throws Exception {
        assertEquals(Config.defaults(), ConfigLoader.parse("", "t.toml"));
    }

    @Test
    void keysOverrideDefaultsAndTheRestStay() throws Exception {
        Config c = ConfigLoader.parse("""
                root = "/srv/jstargz"
                log_level = "debug"
                [cache]
                max_disk_bytes = 1073741824
                [fuse]
                binding = "jnr"
                read_ahead_kib = 4096
                [fetch]
                background_fetch = false
                neighbour_bytes = 0
                shared_libraries = false
                [memory]
                index_entries = 250000
                """, "t.toml");
        assertEquals("jnr", c.fuse().binding());
        assertEquals(4096, c.fuse().readAheadKib());
        assertEquals(1024, Config.defaults().fuse().readAheadKib());
        assertEquals(Path.of("/srv/jstargz"), c.root());
        assertEquals(Path.of("/srv/jstargz/cache"), c.cacheDir());
        assertEquals("debug", c.logLevel());
        assertEquals(1L << 30, c.cache().maxDiskBytes());
        assertEquals(Config.defaults().cache().maxMemoryBytes(), c.cache().maxMemoryBytes());
        assertEquals(false, c.fetch().backgroundFetch());
        assertEquals(true, c.fetch().prefetch());
        assertEquals(0, c.fetch().neighbourBytes());
        assertEquals(131072, Config.defaults().fetch().neighbourBytes());
        assertEquals(false, c.fetch().sharedLibraries());
        assertEquals(true, Config.defaults().fetch().sharedLibraries());
        assertEquals(Config.defaults().address(), c.address());
        assertEquals(Config.defaults().registry(), c.registry());
        assertEquals(250_000, c.memory().indexEntries());
    }

    @Test
    void theCriKeychainIsOffUntilEnabled() throws Exception {
        assertEquals(false, Config.defaults().criKeychain().enable());
        CriKeychainConfig k = ConfigLoader.parse("""
                [cri_keychain]
                enable = true
                listen_path = "/run/jstargz/keychain.sock"
                image_service_path = "/run/k3s/containerd/containerd.sock"
                """, "t.toml").criKeychain();
        assertEquals(new CriKeychainConfig(true, Path.of("/run/jstargz/keychain.sock"),
                Path.of("/run/k3s/containerd/containerd.sock"), 86400), k);
        assertEquals("config t.toml: key 'cri_keychain.listen_path' must differ from image_service_path (it would"
                + " forward to itself)", assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "[cri_keychain]\nlisten_path = \"/run/containerd/containerd.sock\"\n", "t.toml")).getMessage());
    }

    @Test
    void unknownKeysAreNamed() {
        assertEquals("config t.toml: unknown key 'cache.max_size'", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[cache]\nmax_size = 1\n", "t.toml")).getMessage());
        assertEquals("config t.toml: unknown key 'snapshotter'", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[snapshotter]\nx = 1\n", "t.toml")).getMessage());
    }

    @Test
    void badValuesAreNamed() {
        assertEquals("config t.toml: key 'fuse.mount_timeout_seconds' must be > 0", assertThrows(
                ConfigException.class, () -> ConfigLoader.parse("[fuse]\nmount_timeout_seconds = 0\n", "t.toml"))
                .getMessage());
        assertEquals("config t.toml: key 'fuse.read_timeout_seconds' must be > 0", assertThrows(
                ConfigException.class, () -> ConfigLoader.parse("[fuse]\nread_timeout_seconds = 0\n", "t.toml"))
                .getMessage());
        assertEquals("config t.toml: key 'fuse.read_ahead_kib' must be 0..1048576", assertThrows(
                ConfigException.class, () -> ConfigLoader.parse("[fuse]\nread_ahead_kib = -1\n", "t.toml"))
                .getMessage());
        assertEquals("config t.toml: key 'registry.read_timeout_seconds' must be > 0", assertThrows(
                ConfigException.class, () -> ConfigLoader.parse("[registry]\nread_timeout_seconds = -1\n", "t.toml"))
                .getMessage());
        assertEquals("config t.toml: key 'fetch.neighbour_bytes' must be >= 0", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[fetch]\nneighbour_bytes = -1\n", "t.toml")).getMessage());
        assertEquals("config t.toml: key 'cache.max_disk_bytes': not a size: \"big\" (a number of bytes, or with a"
                + " unit: 64K, 4M, 1GiB)", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[cache]\nmax_disk_bytes = \"big\"\n", "t.toml")).getMessage());
        assertEquals("config t.toml: key 'cache' must be a table [cache]", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("cache = 1\n", "t.toml")).getMessage());
        assertEquals(true, assertThrows(ConfigException.class, () -> ConfigLoader.parse("root = ", "t.toml"))
                .getMessage().startsWith("config t.toml is not valid TOML"));
        assertEquals("config t.toml: key 'log_level' must be one of trace, debug, info, warn, error, not \"loud\"",
                assertThrows(ConfigException.class, () -> ConfigLoader.parse("log_level = \"loud\"", "t.toml"))
                        .getMessage());
        assertEquals("config t.toml: key 'fuse.binding' must be \"auto\", \"kernel\" or \"jnr\", not \"libfuse\"",
                assertThrows(ConfigException.class, () -> ConfigLoader.parse("[fuse]\nbinding = \"libfuse\"\n",
                        "t.toml")).getMessage());
        assertEquals("config t.toml: key 'memory.index_entries' must be > 0", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[memory]\nindex_entries = 0\n", "t.toml")).getMessage());
    }

    @Test
    void syntaxErrorsGiveLineAndColumn() {
        String m = assertThrows(ConfigException.class, () -> ConfigLoader.parse("root = \"/srv\"\n[cache\n",
                "t.toml")).getMessage();
        assertEquals(true, m.startsWith("config t.toml is not valid TOML at line 2, column "), m);
    }

    @Test
    void typeErrorsAreInPlainWordsAndNothingIsTruncated() {
        assertEquals("config t.toml: key 'fetch.prefetch_wait_seconds' must be a whole number, not 1.5",
                assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                        "[fetch]\nprefetch_wait_seconds = 1.5\n", "t.toml")).getMessage());
        assertEquals("config t.toml: key 'fuse.mount_timeout_seconds' must be a whole number, not \"30\"",
                assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                        "[fuse]\nmount_timeout_seconds = \"30\"\n", "t.toml")).getMessage());
        assertEquals("config t.toml: key 'fuse.mount_timeout_seconds' must be a whole number up to 2147483647, not"
                + " 4294967296", assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                        "[fuse]\nmount_timeout_seconds = 4294967296\n", "t.toml")).getMessage());
        assertEquals("config t.toml: key 'fetch.prefetch' must be true or false, not \"yes\"",
                assertThrows(ConfigException.class, () -> ConfigLoader.parse("[fetch]\nprefetch = \"yes\"\n",
                        "t.toml")).getMessage());
        assertEquals("config t.toml: key 'root' must be a string in quotes, not 12",
                assertThrows(ConfigException.class, () -> ConfigLoader.parse("root = 12\n", "t.toml")).getMessage());
        assertEquals("config t.toml: key 'cache.max_memory_bytes' must be a whole number of bytes or a size with a"
                + " unit such as \"4M\" or \"1GiB\", not 1.5", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[cache]\nmax_memory_bytes = 1.5\n", "t.toml")).getMessage());
    }

    @Test
    void sizesTakeUnitsAsOnTheCommandLine() throws Exception {
        Config c = ConfigLoader.parse("""
                [cache]
                max_disk_bytes = "20GiB"
                max_memory_bytes = "64M"
                [fetch]
                neighbour_bytes = "16K"
                """, "t.toml");
        assertEquals(20L << 30, c.cache().maxDiskBytes());
        assertEquals(64L << 20, c.cache().maxMemoryBytes());
        assertEquals(16L << 10, c.fetch().neighbourBytes());
    }

    @Test
    void theMetricsAddressIsCheckedWithTheRest() {
        assertEquals("config t.toml: key 'metrics_address' must be host:port with a port from 0 to 65535, not"
                + " \"localhost\"", assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                        "metrics_address = \"localhost\"\n", "t.toml")).getMessage());
        assertEquals("config t.toml: key 'metrics_address' must be host:port with a port from 0 to 65535, not"
                + " \"127.0.0.1:99999\"", assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                        "metrics_address = \"127.0.0.1:99999\"\n", "t.toml")).getMessage());
    }

    @Test
    void aMissingFileIsSaidInWords(@TempDir Path tmp) {
        assertEquals("config file " + tmp.resolve("none.toml") + " does not exist", assertThrows(
                ConfigException.class, () -> ConfigLoader.load(tmp.resolve("none.toml"))).getMessage());
    }

    @Test
    void theShippedExampleIsTheDefaults(@TempDir Path tmp) throws Exception {
        Path example = Path.of(System.getProperty("jstargz.repo"), "dist", "config.toml");
        assertEquals(Config.defaults(), ConfigLoader.load(example));
        assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp.resolve("missing.toml")));
        Files.writeString(tmp.resolve("c.toml"), "address = \"/run/x.sock\"\n");
        assertEquals(Path.of("/run/x.sock"), ConfigLoader.load(tmp.resolve("c.toml")).address());
    }
}
