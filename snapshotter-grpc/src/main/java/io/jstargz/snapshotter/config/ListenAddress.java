package io.jstargz.snapshotter.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A TCP address the daemon listens on ({@code host:port}, {@code [::1]:port}; port 0 picks a free one), parsed from the
 * configuration key that names it.
 *
 * @param key  the configuration key, for messages
 * @param host the host as written, without IPv6 brackets
 * @param port the port
 */
public record ListenAddress(String key, String host, int port) {

    /** Parses {@code value}; the error names {@code key}. */
    public static ListenAddress parse(String key, String value) {
        int colon = value.lastIndexOf(':');
        ConfigChecks.require(colon > 0, key, "must be host:port, got '" + value + "'");
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("key '" + key + "' must be host:port, got '" + value + "'", e);
        }
        ConfigChecks.require(port >= 0 && port <= 65535, key, "has port " + port + ", not 0-65535");
        return new ListenAddress(key, value.substring(0, colon).replaceAll("^\\[|]$", ""), port);
    }

    /** Resolves the host; the error names the key. */
    public InetSocketAddress socketAddress() {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("key '" + key + "': unknown host '" + host + "'", e);
        }
    }

    /** Whether every address the host names is a loopback address (nothing off the machine can connect). */
    public boolean isLoopback() {
        try {
            InetAddress[] all = InetAddress.getAllByName(host);
            for (InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
