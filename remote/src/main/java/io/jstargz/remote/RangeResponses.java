package io.jstargz.remote;

import io.jstargz.estargz.ByteRange;
import java.io.EOFException;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.MultipartReader;
import okhttp3.Response;
import okio.BufferedSource;

/**
 * Reads the answer to a Range request, trusting nothing: a 206 must say (in {@code Content-Range}) that it holds the
 * bytes asked for, a 200 means the server ignored the range (the wanted bytes are picked out of the stream without
 * buffering the rest), a body that ends early is a retryable error, never short data.
 */
final class RangeResponses {

    private RangeResponses() {
    }

    /** The HTTP {@code Range} form of {@code r}, {@code first-last} (inclusive). */
    static String spec(ByteRange r) {
        return r.offset() + "-" + (r.end() - 1);
    }

    /** The bytes of {@code want} from the answer to a single-range request. */
    static byte[] single(Response ex, ByteRange want, String what) throws IOException {
        return readExactly(positioned(ex, want, what), want.length(), what);
    }

    /** The body of the answer to a single-range request, checked and positioned at {@code want}'s first byte. */
    static BufferedSource positioned(Response ex, ByteRange want, String what) throws IOException {
        BufferedSource body = ex.body().source();
        long position;
        if (ex.code() == 206) {
            ContentRange cr = ContentRange.parse(ex.header("Content-Range"));
            if (cr == null || cr.first() < 0) {
                throw new RegistryException(what + ": 206 answer without a valid Content-Range ("
                        + ex.header("Content-Range") + ")");
            }
            if (!cr.range().contains(want)) {
                if (cr.total() >= 0 && want.end() > cr.total()) {
                    throw pastEnd(what, want, cr.total());
                }
                throw new RegistryException(what + ": asked for bytes " + spec(want) + ", the server sent "
                        + cr);
            }
            position = cr.first();
        } else {
            long length = ex.body().contentLength();
            if (length >= 0 && want.end() > length) {
                throw pastEnd(what, want, length);
            }
            position = 0;
        }
        skip(body, want.offset() - position, what);
        return body;
    }

    /**
     * The wanted ranges (sorted, disjoint) found in the answer to a multi-range request: from a
     * {@code multipart/byteranges} body, a single range (a server may answer only part), or a whole blob (200).
     * Ranges missing from the answer are missing from the map.
     */
    static Map<ByteRange, byte[]> multi(Response ex, List<ByteRange> wanted, String what) throws IOException {
        Map<ByteRange, byte[]> got = new HashMap<>();
        MediaType type = ex.body().contentType();
        if (ex.code() == 206 && type != null && type.type().equals("multipart")
                && type.subtype().equals("byteranges")) {
            try (MultipartReader reader = new MultipartReader(ex.body())) {
                for (MultipartReader.Part next = reader.nextPart(); next != null; next = reader.nextPart()) {
                    try (MultipartReader.Part part = next) {
                        ContentRange cr = ContentRange.parse(part.headers().get("Content-Range"));
                        if (cr == null || cr.first() < 0) {
                            throw new RegistryException(what + ": a multipart/byteranges part without a valid"
                                    + " Content-Range (" + part.headers().get("Content-Range") + ")");
                        }
                        pick(part.body(), cr.first(), cr.range(), wanted, got, what);
                    }
                }
            }
        } else if (ex.code() == 206) {
            ContentRange cr = ContentRange.parse(ex.header("Content-Range"));
            if (cr == null || cr.first() < 0) {
                throw new RegistryException(what + ": 206 answer without a valid Content-Range ("
                        + ex.header("Content-Range") + ")");
            }
            pick(ex.body().source(), cr.first(), cr.range(), wanted, got, what);
        } else {
            long length = ex.body().contentLength();
            ByteRange whole = new ByteRange(0, length >= 0 ? length : Long.MAX_VALUE);
            ByteRange last = wanted.get(wanted.size() - 1);
            if (length >= 0 && last.end() > length) {
                throw pastEnd(what, last, length);
            }
            pick(ex.body().source(), 0, whole, wanted, got, what);
        }
        return got;
    }

    /** Copies the wanted ranges that {@code available} holds out of {@code source}, positioned at {@code start}. */
    private static void pick(BufferedSource source, long start, ByteRange available, List<ByteRange> wanted,
                             Map<ByteRange, byte[]> got, String what) throws IOException {
        long position = start;
        for (ByteRange w : wanted) {
            if (!got.containsKey(w) && available.contains(w) && w.offset() >= position) {
                skip(source, w.offset() - position, what);
                got.put(w, readExactly(source, w.length(), what));
                position = w.end();
            }
        }
    }

    private static void skip(BufferedSource source, long n, String what) throws IOException {
        try {
            source.skip(n);
        } catch (EOFException e) {
            throw new IOException(what + ": the response ended early (short body)", e);
        }
    }

    static byte[] readExactly(BufferedSource source, long n, String what) throws IOException {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + ": " + n + " bytes do not fit in one array");
        }
        byte[] out = new byte[(int) n];
        try {
            source.readFully(out);
        } catch (EOFException e) {
            throw new IOException(what + ": the response ended early (short body)", e);
        }
        return out;
    }

    static Retrier.PastEndOfBlobException pastEnd(String what, ByteRange want, long size) {
        return new Retrier.PastEndOfBlobException(what + ": range " + want + " extends past the end of the blob ("
                + size + " bytes)");
    }
}
