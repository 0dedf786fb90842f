package io.jstargz.snapshotter.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jstargz.snapshotter.proto.introspection.IntrospectionGrpc;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.snapshotter.proto.introspection.ListLayersResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Asks a running daemon what it holds ({@code jstargz status}), over its unix socket. */
public final class IntrospectionClient {
    private static final long DEADLINE_SECONDS = 30;

    private IntrospectionClient() {
    }

    /**
     * Every snapshot of {@code namespace} (all when empty) with its remote-layer record, and the daemon's FUSE
     * binding.
     *
     * @throws IOException if no daemon answers on {@code socket}
     */
    public static ListLayersResponse listLayers(Path socket, String namespace) throws IOException {
        if (!Files.exists(socket)) {
            throw new IOException("no jstargz daemon: " + socket + " does not exist");
        }
        try (UnixChannel channel = new UnixChannel(socket)) {
            return IntrospectionGrpc.newBlockingStub(channel.channel())
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .listLayers(ListLayersRequest.newBuilder().setNamespace(namespace).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                // the socket file outlived its daemon (killed, or stopped without removing it)
                throw new IOException("no jstargz daemon is running at " + socket + " (nothing accepts connections"
                        + " on it)", e);
            }
            throw new IOException("jstargz daemon at " + socket + ": " + e.getStatus().getCode() + " "
                    + e.getStatus().getDescription(), e);
        }
    }
}
