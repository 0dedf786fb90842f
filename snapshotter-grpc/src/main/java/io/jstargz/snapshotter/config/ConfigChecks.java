package io.jstargz.snapshotter.config;

/** Value checks in the config records; the message names the key. */
final class ConfigChecks {
    private ConfigChecks() {
    }

    static void require(boolean ok, String key, String what) {
        if (!ok) {
            throw new IllegalArgumentException("key '" + key + "' " + what);
        }
    }
}
