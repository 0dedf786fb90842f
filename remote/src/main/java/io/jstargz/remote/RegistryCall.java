package io.jstargz.remote;

import io.jstargz.remote.hosts.RegistryHost;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * What a request to a registry is for, carried as the okhttp request's tag from {@link HttpTransport#send} to the
 * interceptors and the authenticator, and to every follow-up of the call (redirects, the retry after a 401).
 *
 * @param host   the registry host (a mirror or the registry's own server) the request was addressed to
 * @param access on whose behalf and with which scopes
 * @param client the client that sends it (the host's TLS settings), for the token requests its 401s lead to
 */
record RegistryCall(RegistryHost host, Access access, OkHttpClient client) {

    /** Whether {@code url} is the registry host itself (not the blob storage it redirected to). */
    boolean isHost(HttpUrl url) {
        HttpUrl base = HttpUrl.get(host.baseUrl());
        return url.scheme().equals(base.scheme()) && url.host().equals(base.host()) && url.port() == base.port();
    }
}
