package io.jstargz.snapshotter.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A TCP address the daemon listens on, as the config writes it ({@code host:port}, {@code [::1]:port}; port 0 picks
 * a free one), parsed from the configuration key that names it.
 *
 * @param key  the configuration key, for messages
 * @param host the host as written, without IPv6 brackets
 * @param port the port
 */
public record ListenAddress(String key, String host, int port) {

    /**
     * Parses {@code value} and checks that its host resolves.
     *
     * @throws IllegalArgumentException naming {@code key} if it is not {@code host:port} or the host does not resolve
     */
    public static ListenAddress parse(String key, String value) {
        int colon = value.lastIndexOf(':');
        String host = colon <= 0 ? "" : value.substring(0, colon).replaceAll("^\\[|]$", "");
        int port;
        try {
            port = colon <= 0 ? -1 : Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        ConfigChecks.require(!host.isEmpty() && port >= 0 && port <= 65535, key,
                "must be host:port with a port from 0 to 65535, not \"" + value + "\"");
        ListenAddress at = new ListenAddress(key, host, port);
        ConfigChecks.require(!new InetSocketAddress(host, port).isUnresolved(), key,
                "names a host that does not resolve: \"" + host + "\"");
        return at;
    }

    /** The address to bind, its host resolved. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
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
