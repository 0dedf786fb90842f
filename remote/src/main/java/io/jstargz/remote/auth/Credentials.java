package io.jstargz.remote.auth;

/**
 * Credentials for one registry: a user name and secret (password or token) for Basic auth and token requests, or an
 * identity token (an OAuth2 refresh token, docker's {@code identitytoken}). {@link #toString()} never shows secrets.
 */
public record Credentials(String username, String secret, String identityToken) {

    public static Credentials basic(String username, String secret) {
        return new Credentials(username, secret, null);
    }

    public static Credentials identityToken(String username, String token) {
        return new Credentials(username, null, token);
    }

    public boolean hasIdentityToken() {
        return identityToken != null && !identityToken.isEmpty();
    }

    @Override
    public String toString() {
        return "Credentials[username=" + username + (hasIdentityToken() ? ", identity token" : ", secret")
                + " redacted]";
    }
}
