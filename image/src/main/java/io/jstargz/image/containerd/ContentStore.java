package io.jstargz.image.containerd;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.jstargz.image.proto.content.AbortRequest;
import io.jstargz.image.proto.content.ContentGrpc;
import io.jstargz.image.proto.content.Info;
import io.jstargz.image.proto.content.InfoRequest;
import io.jstargz.image.proto.content.UpdateRequest;
import io.jstargz.image.proto.content.WriteAction;
import io.jstargz.image.proto.content.WriteContentRequest;
import io.jstargz.image.proto.content.WriteContentResponse;
import io.jstargz.remote.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * containerd's content store, written through its content service under a lease. A blob goes up as containerd's own
 * remote writer sends it: one request at a time, each answered before the next (so a slow containerd holds the
 * sender back instead of the sender buffering the blob), then a COMMIT with the expected digest and size, which
 * containerd checks. A blob the store has already is not sent again; its labels are updated instead.
 */
final class ContentStore {
    private static final int CHUNK = 1 << 20;
    private static final long CALL_SECONDS = 60;
    /** How long one answer of a write may take. */
    private static final long ANSWER_SECONDS = 300;

    private final ContainerdConnection connection;
    private final ContentGrpc.ContentBlockingStub blocking;
    private final ContentGrpc.ContentStub streaming;

    ContentStore(ContainerdConnection connection, String leaseId) {
        this.connection = connection;
        this.blocking = connection.leased(ContentGrpc.newBlockingStub(connection.channel()), leaseId);
        this.streaming = connection.leased(ContentGrpc.newStub(connection.channel()), leaseId);
    }

    /** Whether the store has the blob. */
    boolean has(Descriptor blob) throws IOException {
        try {
            blocking.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
                    .info(InfoRequest.newBuilder().setDigest(blob.digest().toString()).build());
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return false;
            }
            throw connection.failed("content " + blob.digest(), e);
        }
    }

    /** Adds {@code labels} to a blob the store has (other labels are kept). */
    void label(Descriptor blob, Map<String, String> labels) throws IOException {
        FieldMask.Builder mask = FieldMask.newBuilder();
        labels.keySet().forEach(k -> mask.addPaths("labels." + k));
        try {
            blocking.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS).update(UpdateRequest.newBuilder()
                    .setInfo(Info.newBuilder().setDigest(blob.digest().toString()).putAllLabels(labels))
                    .setUpdateMask(mask).build());
        } catch (StatusRuntimeException e) {
            throw connection.failed("labelling content " + blob.digest(), e);
        }
    }

    /** Writes the blob {@code in} holds (checked by containerd against {@code blob}), labelled, unless present. */
    void put(Descriptor blob, InputStream in, Map<String, String> labels) throws IOException {
        if (has(blob)) {
            label(blob, labels);
            return;
        }
        String ref = "jstargz-pull-" + blob.digest() + "-" + UUID.randomUUID();
        Exchange exchange = new Exchange(blob);
        exchange.requests = streaming.write(exchange);
        boolean done = false;
        try {
            WriteContentRequest.Builder first = WriteContentRequest.newBuilder().setAction(WriteAction.WRITE)
                    .setRef(ref).setTotal(blob.size()).setExpected(blob.digest().toString());
            long offset = 0;
            byte[] buf = new byte[CHUNK];
            WriteContentRequest.Builder next = first;
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                exchange.call(next.setOffset(offset).setData(ByteString.copyFrom(buf, 0, n)).build());
                offset += n;
                next = WriteContentRequest.newBuilder().setAction(WriteAction.WRITE).setRef(ref);
            }
            if (offset != blob.size()) {
                throw new IOException("blob " + blob.digest() + ": " + offset + " bytes read, " + blob.size()
                        + " expected");
            }
            // the COMMIT names the offset reached: at offset 0 containerd would truncate what was written
            exchange.call(WriteContentRequest.newBuilder().setAction(WriteAction.COMMIT).setRef(ref)
                    .setOffset(offset).setTotal(blob.size()).setExpected(blob.digest().toString())
                    .putAllLabels(labels).build());
            exchange.requests.onCompleted();
            done = true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
                // another pull committed it meanwhile
                done = true;
                label(blob, labels);
                return;
            }
            throw connection.failed("writing content " + blob.digest(), e);
        } finally {
            if (!done) {
                exchange.requests.onError(Status.CANCELLED.withDescription("write abandoned").asException());
                abort(ref);
            }
        }
    }

    private void abort(String ref) {
        try {
            blocking.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS).abort(AbortRequest.newBuilder().setRef(ref)
                    .build());
        } catch (StatusRuntimeException e) {
            // nothing was written under it, or it is gone: the lease's expiry removes what is left
        }
    }

    /** One Write call: each request waits for its answer, or for the call's error. */
    private static final class Exchange implements StreamObserver<WriteContentResponse> {
        private final Descriptor blob;
        private final BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
        StreamObserver<WriteContentRequest> requests;

        Exchange(Descriptor blob) {
            this.blob = blob;
        }

        void call(WriteContentRequest request) throws IOException {
            requests.onNext(request);
            Object answer;
            try {
                answer = answers.poll(ANSWER_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted writing content " + blob.digest());
            }
            if (answer == null) {
                throw new IOException("containerd did not answer within " + ANSWER_SECONDS + " s while writing "
                        + blob.digest());
            }
            if (answer instanceof StatusRuntimeException e) {
                throw e;
            }
            if (answer instanceof Throwable t) {
                throw Status.fromThrowable(t).asRuntimeException();
            }
        }

        @Override
        public void onNext(WriteContentResponse response) {
            answers.add(response);
        }

        @Override
        public void onError(Throwable t) {
            answers.add(t);
        }

        @Override
        public void onCompleted() {
            // every request had its answer
        }
    }
}
