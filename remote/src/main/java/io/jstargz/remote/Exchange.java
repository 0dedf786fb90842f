package io.jstargz.remote;

import java.io.Closeable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.HttpUrl;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * An answered request: the final response (after redirects) and the host's concurrency permit, released on close.
 */
final class Exchange implements Closeable {

    private final Response response;
    private final Semaphore permit;
    private final AtomicBoolean closed = new AtomicBoolean();

    Exchange(Response response, Semaphore permit) {
        this.response = response;
        this.permit = permit;
    }

    int code() {
        return response.code();
    }

    Response response() {
        return response;
    }

    ResponseBody body() {
        return response.body();
    }

    String header(String name) {
        return response.header(name);
    }

    /** The URL that answered, after redirects. */
    HttpUrl url() {
        return response.request().url();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                response.close();
            } finally {
                permit.release();
            }
        }
    }
}
