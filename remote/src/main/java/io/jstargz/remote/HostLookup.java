package io.jstargz.remote;

import io.jstargz.remote.hosts.Capability;
import io.jstargz.remote.hosts.RegistryHost;
import java.io.IOException;
import java.util.List;

/** The hosts that serve a registry for one kind of operation, in the order to try them. */
@FunctionalInterface
interface HostLookup {

    /** @throws RegistryException if no configured host has {@code capability} */
    List<RegistryHost> hosts(String registry, Capability capability) throws IOException;
}
