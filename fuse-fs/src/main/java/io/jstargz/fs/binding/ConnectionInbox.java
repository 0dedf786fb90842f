package io.jstargz.fs.binding;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * A unix datagram socket that receives kept FUSE connections ({@link MountHandle#keep}) the way systemd's file
 * descriptor store does: a daemon taking over from another binds one and the old daemon stores its connections in
 * it. Its messages are {@code FDSTORE=1} / {@code FDNAME=} notifications carrying descriptors.
 */
public interface ConnectionInbox extends AutoCloseable {

    /**
     * One notification: its fields (as {@code KEY=value} lines) and the descriptors it carried, open in this process.
     */
    record Notification(List<String> fields, int[] fds) {
        /** The value of field {@code key}, or null. */
        public String field(String key) {
            return fields.stream().filter(f -> f.startsWith(key + "=")).map(f -> f.substring(key.length() + 1))
                    .findFirst().orElse(null);
        }
    }

    /**
     * Waits for the next notification, at most {@code timeout} ({@link Duration#ZERO}: for ever).
     *
     * @throws java.net.SocketTimeoutException if none came in time
     */
    Notification receive(Duration timeout) throws IOException;

    @Override
    void close() throws IOException;
}
