package io.jstargz.snapshotter.config;

import java.net.InetSocketAddress;

/** A TCP address to serve on, as the config writes it: {@code host:port} or {@code [::1]:port}. */
public final class ListenAddress {
    private ListenAddress() {
    }

    /**
     * The address {@code value} names, its host resolved; port 0 picks a free one when bound.
     *
     * @param key the config key it comes from, for the message
     * @throws IllegalArgumentException naming the key if it is not {@code host:port} or the host does not resolve
     */
    public static InetSocketAddress parse(String key, String value) {
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
        InetSocketAddress at = new InetSocketAddress(host, port);
        ConfigChecks.require(!at.isUnresolved(), key, "names a host that does not resolve: \"" + host + "\"");
        return at;
    }
}
