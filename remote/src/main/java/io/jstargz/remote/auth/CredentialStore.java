package io.jstargz.remote.auth;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where credentials for a registry come from. They are asked for per host and image reference: a store that knows
 * only hosts (a docker config) ignores the reference, one that records credentials per pull (the CRI keychain)
 * answers for that image only. Stores compose with {@link #firstOf}.
 */
public interface CredentialStore {

    /** A store without credentials: every registry is accessed anonymously. */
    CredentialStore ANONYMOUS = new CredentialStore() {
        @Override
        public Credentials credentials(String host, String reference) {
            return null;
        }

        @Override
        public String describe() {
            return "no credential store";
        }
    };

    /** What {@link #revision} answers for a store that cannot tell when its credentials change. */
    Object UNCHANGING = "unchanging";

    /**
     * Credentials for a request to {@code host} on behalf of image {@code reference}, or {@code null} to go
     * anonymously.
     *
     * @param host      {@code host[:port]} the credentials are filed under: the registry's name ({@code docker.io}
     *                  for Docker Hub), or a mirror's own host
     * @param reference the image the request is for, normalized ({@code registry/repository[:tag][@digest]}, as
     *                  {@code io.jstargz.remote.ImageReference} prints it)
     * @throws IOException if a configured source cannot be read (e.g. a credential helper fails)
     */
    Credentials credentials(String host, String reference) throws IOException;

    /** Where credentials were looked for, for error messages. */
    String describe();

    /**
     * A value that changes whenever the credentials this store gives may have changed (a file rewritten, a pull
     * secret recorded): what was built from them (a Basic header) is used only while it stays equal. Cheap enough to
     * ask before every request (a stat, a counter). A store that cannot tell answers {@link #UNCHANGING}: its
     * credentials are then looked up again only after the registry rejects them.
     *
     * @throws IOException if the store's source cannot be examined
     */
    default Object revision() throws IOException {
        return UNCHANGING;
    }

    /** The credentials of the first of {@code stores} that has some, asked in order. */
    static CredentialStore firstOf(List<CredentialStore> stores) {
        List<CredentialStore> in = List.copyOf(stores);
        return new CredentialStore() {
            @Override
            public Credentials credentials(String host, String reference) throws IOException {
                for (CredentialStore s : in) {
                    Credentials c = s.credentials(host, reference);
                    if (c != null) {
                        return c;
                    }
                }
                return null;
            }

            @Override
            public String describe() {
                return String.join(", then ", in.stream().map(CredentialStore::describe).toList());
            }

            @Override
            public Object revision() throws IOException {
                List<Object> revisions = new ArrayList<>(in.size());
                for (CredentialStore s : in) {
                    revisions.add(s.revision());
                }
                return revisions;
            }
        };
    }
}
