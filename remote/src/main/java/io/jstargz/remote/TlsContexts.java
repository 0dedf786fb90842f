package io.jstargz.remote;

import io.jstargz.remote.hosts.RegistryHost;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;

/**
 * TLS settings of one registry host from hosts.toml: extra CA files on top of the system's roots (like containerd),
 * client certificates (PEM certificate with a PKCS#8 PEM key), or {@code skip_verify}.
 */
final class TlsContexts {

    private static final Pattern PKCS8_KEY = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private TlsContexts() {
    }

    /** A client derived from {@code base} (sharing its pool and dispatcher) with the host's TLS settings. */
    static OkHttpClient configure(OkHttpClient base, RegistryHost host) throws IOException {
        try {
            X509TrustManager trust = host.skipVerify() ? new TrustAll() : trustManager(host.caCertificates());
            KeyManagerFactory keys = keyManagers(host.clientCertificates());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), new TrustManager[] {trust}, null);
            OkHttpClient.Builder b = base.newBuilder().sslSocketFactory(context.getSocketFactory(), trust);
            if (host.skipVerify()) {
                b.hostnameVerifier((hostname, session) -> true);
            }
            return b.build();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS for " + host + ": " + e.getMessage(), e);
        }
    }

    private static X509TrustManager trustManager(List<Path> caFiles) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int n = 0;
        for (X509Certificate root : systemTrust().getAcceptedIssuers()) {
            store.setCertificateEntry("system-" + n++, root);
        }
        for (Path file : caFiles) {
            Collection<? extends Certificate> certs = readCertificates(file);
            if (certs.isEmpty()) {
                throw new IOException("CA file " + file + " holds no PEM certificate");
            }
            for (Certificate c : certs) {
                store.setCertificateEntry("ca-" + n++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        return (X509TrustManager) tmf.getTrustManagers()[0];
    }

    private static X509TrustManager systemTrust() throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        return (X509TrustManager) tmf.getTrustManagers()[0];
    }

    private static KeyManagerFactory keyManagers(List<RegistryHost.ClientCertificate> clients)
            throws IOException, GeneralSecurityException {
        if (clients.isEmpty()) {
            return null;
        }
        char[] password = new char[0];
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int n = 0;
        for (RegistryHost.ClientCertificate client : clients) {
            Path keyFile = client.key() == null ? client.certificate() : client.key();
            List<Certificate> chain = new ArrayList<>(readCertificates(client.certificate()));
            if (chain.isEmpty()) {
                throw new IOException("client certificate file " + client.certificate() + " holds no certificate");
            }
            store.setKeyEntry("client-" + n++, readPkcs8Key(keyFile), password, chain.toArray(new Certificate[0]));
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, password);
        return kmf;
    }

    private static Collection<? extends Certificate> readCertificates(Path file)
            throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (CertificateException e) {
            throw new IOException("cannot read certificates from " + file + ": " + e.getMessage(), e);
        }
    }

    private static PrivateKey readPkcs8Key(Path file) throws IOException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher m = PKCS8_KEY.matcher(pem);
        if (!m.find()) {
            throw new IOException("no PKCS#8 private key (BEGIN PRIVATE KEY) in " + file
                    + "; convert it with: openssl pkcs8 -topk8 -nocrypt -in <key> -out <key.pk8>");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException wrongAlgorithm) {
                // try the next algorithm
            }
        }
        throw new IOException("the private key in " + file + " is not an RSA, EC or Ed25519 PKCS#8 key");
    }

    /** skip_verify: the operator chose to trust any certificate from this host. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
