package io.jstargz.remote;

import io.jstargz.remote.hosts.RegistryHost;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * TLS settings of one registry host from hosts.toml: extra CA files on top of the system's roots (like containerd),
 * client certificates (PEM certificate with a PEM key: PKCS#8, PKCS#1 or SEC1, read by BouncyCastle's PEM parser),
 * or {@code skip_verify}.
 */
final class TlsContexts {

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
            store.setKeyEntry("client-" + n++, readPrivateKey(keyFile), password, chain.toArray(new Certificate[0]));
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

    /**
     * The first private key in a PEM file, in any of the encodings containerd takes: PKCS#8 ({@code BEGIN PRIVATE
     * KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}, after an optional
     * {@code EC PARAMETERS} block). Certificates in the same file are passed over.
     */
    static PrivateKey readPrivateKey(Path file) throws IOException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser pem = new PEMParser(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
            for (Object o; (o = pem.readObject()) != null; ) {
                if (o instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new IOException("the private key in " + file + " is encrypted; containerd and jstargz"
                            + " read unencrypted keys (openssl pkey -in <key> -out <plain key>)");
                }
            }
        } catch (PEMException e) {
            throw new IOException("cannot read the private key in " + file + ": " + e.getMessage(), e);
        }
        throw new IOException("no private key (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY) in "
                + file);
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
