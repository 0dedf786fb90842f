package io.jstargz.remote;

import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The headers of a request to a registry host, as a network interceptor: it sees every request that goes on the wire,
 * redirects included, and adds the host's hosts.toml headers and its authorization only to those addressed to the
 * registry host itself. So credentials and configured headers never reach the blob storage a registry redirects to,
 * however many redirects okhttp follows. Every request gets the client's User-Agent. A 401 from the host teaches the
 * {@link Authorizer} its challenge before any request waiting for that host's first answer goes on.
 */
final class RegistryHeaders implements Interceptor {
    private final Authorizer authorizer;
    private final String userAgent;

    RegistryHeaders(Authorizer authorizer, String userAgent) {
        this.authorizer = authorizer;
        this.userAgent = userAgent;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        Request.Builder b = request.newBuilder().header("User-Agent", userAgent);
        RegistryCall call = request.tag(RegistryCall.class);
        if (call == null || !call.isHost(request.url())) {
            return chain.proceed(b.build());
        }
        try {
            call.host().headers().forEach((name, values) -> {
                b.removeHeader(name);
                values.forEach(v -> b.addHeader(name, v));
            });
            String authorization = authorizer.authorization(call.host(), call.client(), call.access());
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            Response response = chain.proceed(b.build());
            if (response.code() == 401) {
                authorizer.learn(call.host(), response.challenges());
            }
            return response;
        } finally {
            authorizer.contacted(call.host());
        }
    }
}
