package io.jstargz.e2e;

import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.TimeUnit;

/** gRPC stubs as containerd's clients send them. */
final class CriCalls {
    private CriCalls() {
    }

    /** {@code stub} sending the containerd namespace header, with a deadline. */
    static <S extends AbstractStub<S>> S inNamespace(S stub, String namespace) {
        Metadata md = new Metadata();
        md.put(Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER), namespace);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
                .withDeadlineAfter(120, TimeUnit.SECONDS);
    }
}
