package io.jstargz.estargz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/** Locates the repository's test vectors ({@code testdata/estargz}). */
final class TestData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestData() {
    }

    static Path repo() {
        String prop = System.getProperty("jstargz.repo");
        Path start = prop != null ? Paths.get(prop) : Paths.get("").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata/estargz"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find testdata/estargz above " + start);
    }

    static Path vector(String name) {
        return repo().resolve("testdata/estargz").resolve(name);
    }

    static JsonNode json(String name) throws IOException {
        return JSON.readTree(vector(name).toFile());
    }

    static List<String> lines(String name) throws IOException {
        return Files.readAllLines(vector(name));
    }

    /** A blob source over bytes that counts reads, to check how many round trips opening costs. */
    static final class CountingSource implements BlobSource {
        private final byte[] data;
        int reads;
        long bytesRead;

        CountingSource(byte[] data) {
            this.data = data;
        }

        @Override
        public long size() {
            return data.length;
        }

        @Override
        public byte[] read(long offset, int length) throws IOException {
            if (offset < 0 || length < 0 || offset + length > data.length) {
                throw new java.io.EOFException("range [" + offset + ", " + (offset + length) + ") outside "
                        + data.length + " bytes");
            }
            reads++;
            bytesRead += length;
            return java.util.Arrays.copyOfRange(data, (int) offset, (int) offset + length);
        }

        @Override
        public String toString() {
            return "memory";
        }
    }
}
