package io.jstargz.remote.auth;

import java.io.IOException;

/** Where credentials for a registry come from. */
public interface CredentialStore {

    /** A store without credentials: every registry is accessed anonymously. */
    CredentialStore ANONYMOUS = new CredentialStore() {
        @Override
        public Credentials credentials(String registry) {
            return null;
        }

        @Override
        public String describe() {
            return "no credential store";
        }
    };

    /**
     * Credentials for {@code registry} ({@code host[:port]}, {@code docker.io} for Docker Hub), or {@code null} to
     * access it anonymously.
     *
     * @throws IOException if a configured source cannot be read (e.g. a credential helper fails)
     */
    Credentials credentials(String registry) throws IOException;

    /** Where credentials were looked for, for error messages. */
    String describe();
}
