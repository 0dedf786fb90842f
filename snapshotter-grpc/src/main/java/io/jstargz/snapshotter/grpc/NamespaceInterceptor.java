package io.jstargz.snapshotter.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/** Puts the {@code containerd-namespace} request header into the call's {@link Context}. */
public final class NamespaceInterceptor implements ServerInterceptor {
    /** The header containerd sends the namespace in ({@code pkg/namespaces/grpc.go}). */
    public static final Metadata.Key<String> HEADER =
            Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
    /** The namespace of the current call; {@code ""} when the client sent none. */
    public static final Context.Key<String> NAMESPACE = Context.keyWithDefault("containerd-namespace", "");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String ns = headers.get(HEADER);
        Context ctx = Context.current().withValue(NAMESPACE, ns == null ? "" : ns);
        return Contexts.interceptCall(ctx, call, headers, next);
    }
}
