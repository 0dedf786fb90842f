package io.jstargz.remote;

import java.io.IOException;
import okhttp3.Authenticator;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.Route;

/**
 * A registry's 401, through okhttp's {@link Authenticator}: the {@link Authorizer} makes better credentials ready (a
 * fresh token, the Basic header looked up again) and the request is sent once more, with them added by
 * {@link RegistryHeaders}. A second 401 is the answer: the caller reports it. A 401 from anywhere but the registry
 * host (blob storage) is never answered with credentials.
 */
final class RegistryAuthenticator implements Authenticator {
    private final Authorizer authorizer;

    RegistryAuthenticator(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    @Override
    public Request authenticate(Route route, Response response) throws IOException {
        RegistryCall call = response.request().tag(RegistryCall.class);
        if (call == null || !call.isHost(response.request().url())
                || response.priorResponse() != null && response.priorResponse().code() == 401) {
            return null;
        }
        // what the 401 answered is on the request as it went on the wire, after RegistryHeaders
        Response sent = response.networkResponse();
        String rejected = sent == null ? null : sent.request().header("Authorization");
        authorizer.refresh(call.host(), call.client(), call.access(), response.challenges(), rejected);
        return response.request();
    }
}
