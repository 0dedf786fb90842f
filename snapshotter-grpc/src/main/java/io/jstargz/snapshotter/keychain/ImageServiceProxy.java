package io.jstargz.snapshotter.keychain;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.jstargz.snapshotter.proto.cri.ImageServiceGrpc;
import io.jstargz.snapshotter.proto.cri.PullImageRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CRI {@code runtime.v1.ImageService}, forwarded to containerd byte for byte: each call's request goes out
 * unchanged (fields this project's copy of the proto does not know included), and containerd's answer, status and
 * deadline come back unchanged. Only a PullImage is read on the way, for its image and credentials, which the
 * {@link CriKeychain} records before containerd starts the pull (its Prepares need them).
 */
final class ImageServiceProxy implements BindableService {
    private static final Logger LOG = LoggerFactory.getLogger(ImageServiceProxy.class);
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private final Channel containerd;
    private final CriKeychain keychain;
    private final Consumer<String> pullEnded;

    /** @param pullEnded told the normalized reference of each pull that has ended (answered or failed) */
    ImageServiceProxy(Channel containerd, CriKeychain keychain, Consumer<String> pullEnded) {
        this.containerd = containerd;
        this.keychain = keychain;
        this.pullEnded = pullEnded;
    }

    @Override
    public ServerServiceDefinition bindService() {
        ServiceDescriptor service = ImageServiceGrpc.getServiceDescriptor();
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getName());
        for (MethodDescriptor<?, ?> m : service.getMethods()) {
            MethodDescriptor<byte[], byte[]> method = m.toBuilder(BYTES, BYTES).build();
            boolean pull = m.getFullMethodName().equals(ImageServiceGrpc.getPullImageMethod().getFullMethodName());
            switch (m.getType()) {
                case UNARY -> b.addMethod(method, ServerCalls.asyncUnaryCall(pull
                        ? (request, response) -> pullImage(method, request, response)
                        : (request, response) -> ClientCalls.asyncUnaryCall(call(method), request, response)));
                case SERVER_STREAMING -> b.addMethod(method, ServerCalls.asyncServerStreamingCall(
                        (request, response) -> ClientCalls.asyncServerStreamingCall(call(method), request,
                                response)));
                default -> throw new IllegalStateException(m.getFullMethodName() + " is " + m.getType()
                        + ", which the proxy does not forward");
            }
        }
        return b.build();
    }

    /** A call to containerd; it inherits the deadline and cancellation of the kubelet's call (gRPC's context). */
    private ClientCall<byte[], byte[]> call(MethodDescriptor<byte[], byte[]> method) {
        return containerd.newCall(method, CallOptions.DEFAULT);
    }

    private void pullImage(MethodDescriptor<byte[], byte[]> method, byte[] request, StreamObserver<byte[]> response) {
        CriKeychain.Pull pull = record(request);
        if (pull == null) {
            ClientCalls.asyncUnaryCall(call(method), request, response);
            return;
        }
        ClientCalls.asyncUnaryCall(call(method), request, new StreamObserver<>() {
            @Override
            public void onNext(byte[] value) {
                response.onNext(value);
            }

            @Override
            public void onError(Throwable t) {
                ended(pull);
                response.onError(t);
            }

            @Override
            public void onCompleted() {
                ended(pull);
                response.onCompleted();
            }
        });
    }

    /** Records the pull's credentials; null when the request names no valid image (containerd will say so). */
    private CriKeychain.Pull record(byte[] request) {
        try {
            PullImageRequest r = PullImageRequest.parseFrom(request);
            return keychain.pulling(r.getImage().getImage(), r.getAuth());
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            LOG.warn("CRI keychain: PullImage not recorded: {}", e.getMessage());
            return null;
        }
    }

    private void ended(CriKeychain.Pull pull) {
        pull.close();
        pullEnded.accept(pull.reference());
    }
}
