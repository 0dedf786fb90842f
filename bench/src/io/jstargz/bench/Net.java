package io.jstargz.bench;

/** The network between the node and the registry. */
enum Net {
    /** Loopback, through a {@link LinkProxy} that only relays and counts bytes. */
    LOOPBACK("loopback", 0, 0),
    /** Through {@link LinkProxy}: 10 ms each way (20 ms RTT), 200 Mbit/s per direction. */
    LINK("20ms-200mbit", 10, 200_000_000L);

    final String id;
    final double oneWayDelayMillis;
    final long bitsPerSecond;

    Net(String id, double oneWayDelayMillis, long bitsPerSecond) {
        this.id = id;
        this.oneWayDelayMillis = oneWayDelayMillis;
        this.bitsPerSecond = bitsPerSecond;
    }

    static Net byId(String id) {
        for (Net n : values()) {
            if (n.id.equals(id)) {
                return n;
            }
        }
        throw new IllegalArgumentException("unknown net " + id + " (loopback, 20ms-200mbit)");
    }
}
