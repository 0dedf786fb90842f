package io.jstargz.snapshotter.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jstargz.snapshotter.model.SnapshotException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps failures to the gRPC status codes containerd's errgrpc turns back into its errdefs errors. */
final class GrpcErrors {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    static StatusRuntimeException toStatus(String rpc, Exception e) {
        if (e instanceof SnapshotException se) {
            Status status = switch (se.code()) {
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                case UNAVAILABLE -> Status.UNAVAILABLE;
            };
            return status.withDescription(se.getMessage()).asRuntimeException();
        }
        if (e instanceof StatusRuntimeException sre) {
            return sre;
        }
        LOG.error("{} failed", rpc, e);
        return Status.INTERNAL.withDescription(rpc + ": " + e).withCause(e).asRuntimeException();
    }
}
