package io.jstargz.image.containerd;

import io.grpc.StatusRuntimeException;
import io.jstargz.image.proto.leases.CreateRequest;
import io.jstargz.image.proto.leases.DeleteRequest;
import io.jstargz.image.proto.leases.LeasesGrpc;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A containerd lease: what calls made under it write (content, snapshots) is not garbage-collected while it lasts.
 * Closing releases it; a process that dies before leaves it to expire ({@code containerd.io/gc.expire}).
 */
record Lease(ContainerdConnection containerd, String id) implements AutoCloseable {
    private static final long CALL_SECONDS = 60;

    static Lease create(ContainerdConnection containerd, Duration expiry) throws IOException {
        String id = "jstargz-pull-" + UUID.randomUUID();
        try {
            leases(containerd).create(CreateRequest.newBuilder().setId(id).putLabels("containerd.io/gc.expire",
                    Instant.now().plus(expiry).truncatedTo(ChronoUnit.SECONDS).toString()).build());
        } catch (StatusRuntimeException e) {
            throw containerd.failed("creating a lease", e);
        }
        return new Lease(containerd, id);
    }

    @Override
    public void close() throws IOException {
        try {
            leases(containerd).delete(DeleteRequest.newBuilder().setId(id).build());
        } catch (StatusRuntimeException e) {
            throw containerd.failed("releasing lease " + id, e);
        }
    }

    private static LeasesGrpc.LeasesBlockingStub leases(ContainerdConnection containerd) {
        return containerd.stub(LeasesGrpc.newBlockingStub(containerd.channel()))
                .withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
    }
}
