package io.jstargz.remote;

/** The registry does not have the manifest, blob or platform asked for. */
public class NotFoundException extends RegistryException {

    public NotFoundException(String message) {
        super(message, 404, false, null);
    }
}
