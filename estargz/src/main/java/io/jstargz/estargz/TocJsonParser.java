package io.jstargz.estargz;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Parses TOC JSON the way the reference's {@code encoding/json} decoding of {@code JTOC} does: keys match case-
 * insensitively, unknown keys and {@code null} values are ignored, xattr values are base64. Anything else (wrong
 * types, fractions, overflow, missing {@code version: 1}) is a {@link InvalidBlobException}.
 */
public final class TocJsonParser {

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE - 64)
                    .maxNestingDepth(64)
                    .build())
            .build();

    private final String layer;
    private int index = -1;

    private TocJsonParser(String layer) {
        this.layer = layer;
    }

    /** Parses the TOC's entries; {@code layer} names the blob in error messages. */
    public static List<TocEntry> parse(byte[] json, String layer) throws InvalidBlobException {
        return new TocJsonParser(layer).parseToc(json);
    }

    private List<TocEntry> parseToc(byte[] json) throws InvalidBlobException {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw bad("the TOC is not a JSON object");
            }
            long version = 0;
            List<TocEntry> entries = new ArrayList<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName().toLowerCase(Locale.ROOT);
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NULL) {
                    continue;
                }
                switch (key) {
                    case "version" -> version = number(p, "version");
                    case "entries" -> {
                        if (t != JsonToken.START_ARRAY) {
                            throw bad("\"entries\" is not an array");
                        }
                        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                            if (e == null) {
                                throw bad("the TOC JSON ends inside \"entries\"");
                            }
                            index++;
                            entries.add(p.currentToken() == JsonToken.VALUE_NULL ? TocEntry.builder("", "").build()
                                    : entry(p));
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (version != 1) {
                throw bad("unsupported TOC version " + version + " (want 1)");
            }
            return entries;
        } catch (InvalidBlobException e) {
            throw e;
        } catch (IOException | IllegalArgumentException e) {
            throw bad("invalid TOC JSON" + (index >= 0 ? " at entry #" + index : "") + ": " + e.getMessage(), e);
        }
    }

    private TocEntry entry(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw bad("entry #" + index + " is not a JSON object");
        }
        TocEntry.Builder b = TocEntry.builder("", "");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName().toLowerCase(Locale.ROOT);
            if (p.nextToken() == JsonToken.VALUE_NULL) {
                continue;
            }
            switch (key) {
                case "name" -> b.name = string(p, key);
                case "type" -> b.type = string(p, key);
                case "size" -> b.size = number(p, key);
                case "modtime" -> b.modtime = string(p, key);
                case "linkname" -> b.linkName = string(p, key);
                case "mode" -> b.mode = number(p, key);
                case "uid" -> b.uid = number(p, key);
                case "gid" -> b.gid = number(p, key);
                case "username" -> b.userName = string(p, key);
                case "groupname" -> b.groupName = string(p, key);
                case "offset" -> b.offset = number(p, key);
                case "inneroffset" -> b.innerOffset = number(p, key);
                case "devmajor" -> b.devMajor = number(p, key);
                case "devminor" -> b.devMinor = number(p, key);
                case "xattrs" -> b.xattrs = xattrs(p);
                case "digest" -> b.digest = string(p, key);
                case "chunkoffset" -> b.chunkOffset = number(p, key);
                case "chunksize" -> b.chunkSize = number(p, key);
                case "chunkdigest" -> b.chunkDigest = string(p, key);
                default -> p.skipChildren();
            }
        }
        return b.build();
    }

    private TreeMap<String, byte[]> xattrs(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw bad("entry #" + index + ": \"xattrs\" is not an object");
        }
        TreeMap<String, byte[]> out = new TreeMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if (p.nextToken() == JsonToken.VALUE_NULL) {
                out.put(name, new byte[0]);
                continue;
            }
            String b64 = string(p, "xattrs." + name).replace("\r", "").replace("\n", "");
            try {
                out.put(name, Base64.getDecoder().decode(b64));
            } catch (IllegalArgumentException e) {
                throw bad("entry #" + index + ": xattr " + name + " is not base64: " + e.getMessage());
            }
        }
        return out;
    }

    private String string(JsonParser p, String key) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw bad("entry #" + index + ": \"" + key + "\" is not a string");
        }
        return p.getText();
    }

    private long number(JsonParser p, String key) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw bad((index >= 0 ? "entry #" + index + ": " : "") + "\"" + key + "\" is not an integer");
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw bad((index >= 0 ? "entry #" + index + ": " : "") + "\"" + key + "\" overflows 64 bits");
        }
        return p.getLongValue();
    }

    private InvalidBlobException bad(String message) {
        return new InvalidBlobException(InvalidBlobException.Reason.BAD_TOC_JSON, "layer " + layer + ": " + message);
    }

    private InvalidBlobException bad(String message, Throwable cause) {
        return new InvalidBlobException(InvalidBlobException.Reason.BAD_TOC_JSON, "layer " + layer + ": " + message,
                cause);
    }
}
