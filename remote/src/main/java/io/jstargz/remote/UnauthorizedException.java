package io.jstargz.remote;

/**
 * The registry refused access (401 or 403), or credentials for it are missing or rejected. The message says which
 * host and scope, and where credentials were looked for; it never contains them.
 */
public class UnauthorizedException extends RegistryException {

    public UnauthorizedException(String message, int status) {
        super(message, status, false, null);
    }
}
