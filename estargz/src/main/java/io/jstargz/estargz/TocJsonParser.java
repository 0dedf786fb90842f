package io.jstargz.estargz;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses TOC JSON the way the reference's {@code encoding/json} decoding of {@code JTOC} does: keys match case-
 * insensitively, unknown keys and {@code null} values are ignored, xattr values are base64. Anything else (wrong
 * types, fractions, overflow, missing {@code version: 1}) is a {@link InvalidBlobException}.
 *
 * <p>It streams: each entry is handed to a {@link Sink} as soon as it is read, in one reused {@link TocFields}, so the
 * index can be built while the TOC is still being inflated, and no list of entries or string per field is made.
 */
public final class TocJsonParser {

    /** Receives the entries in TOC order; the fields object is reused for the next entry. */
    @FunctionalInterface
    interface Sink {
        void entry(TocFields e) throws InvalidBlobException;
    }

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE - 64)
                    .maxNestingDepth(64)
                    .build())
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
            .build();

    private enum Field {
        NAME, TYPE, SIZE, MODTIME, LINKNAME, MODE, UID, GID, USERNAME, GROUPNAME, OFFSET, INNEROFFSET, DEVMAJOR,
        DEVMINOR, XATTRS, DIGEST, CHUNKOFFSET, CHUNKSIZE, CHUNKDIGEST
    }

    /** Keys as writers spell them, and in lower case for the case-insensitive match. */
    private static final Map<String, Field> FIELDS = new HashMap<>();

    static {
        String[] spelled = {"name", "type", "size", "modtime", "linkName", "mode", "uid", "gid", "userName",
            "groupName", "offset", "innerOffset", "devMajor", "devMinor", "xattrs", "digest", "chunkOffset",
            "chunkSize", "chunkDigest"};
        for (String key : spelled) {
            Field f = Field.valueOf(key.toUpperCase(Locale.ROOT));
            FIELDS.put(key, f);
            FIELDS.put(key.toLowerCase(Locale.ROOT), f);
        }
    }

    private final String layer;
    private final TocFields fields = new TocFields();
    private int index = -1;

    private TocJsonParser(String layer) {
        this.layer = layer;
    }

    /** Parses the TOC's entries into records; {@code layer} names the blob in error messages. */
    public static List<TocEntry> parse(byte[] json, String layer) throws InvalidBlobException {
        List<TocEntry> entries = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json)) {
            new TocJsonParser(layer).parseToc(p, e -> entries.add(e.toEntry()));
        } catch (InvalidBlobException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidBlobException(InvalidBlobException.Reason.BAD_TOC_JSON, "layer " + layer
                    + ": invalid TOC JSON: " + e.getMessage(), e);
        }
        return entries;
    }

    /**
     * Parses the TOC JSON as it is read from {@code json}, handing each entry to {@code sink}. Reads up to the end of
     * the TOC object, not necessarily to the end of the stream.
     *
     * @throws InvalidBlobException for JSON that is not a TOC, or whatever the sink throws
     * @throws IOException          if reading {@code json} itself fails
     */
    static void parse(InputStream json, String layer, Sink sink) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            new TocJsonParser(layer).parseToc(p, sink);
        }
    }

    private void parseToc(JsonParser p, Sink sink) throws IOException {
        try {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw bad("the TOC is not a JSON object");
            }
            long version = 0;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName().toLowerCase(Locale.ROOT);
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NULL) {
                    continue;
                }
                switch (key) {
                    case "version" -> version = number(p, "version");
                    case "entries" -> entries(p, t, sink);
                    default -> p.skipChildren();
                }
            }
            if (version != 1) {
                throw bad("unsupported TOC version " + version + " (want 1)");
            }
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw bad("invalid TOC JSON" + (index >= 0 ? " at entry #" + index : "") + ": " + e.getMessage(), e);
        }
    }

    private void entries(JsonParser p, JsonToken t, Sink sink) throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw bad("\"entries\" is not an array");
        }
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            if (e == null) {
                throw bad("the TOC JSON ends inside \"entries\"");
            }
            index++;
            fields.clear(index);
            if (e != JsonToken.VALUE_NULL) {
                entry(p);
            }
            sink.entry(fields);
        }
    }

    private void entry(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw bad("entry #" + index + " is not a JSON object");
        }
        TocFields f = fields;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            Field field = FIELDS.get(key);
            if (field == null) {
                field = FIELDS.get(key.toLowerCase(Locale.ROOT));
            }
            if (p.nextToken() == JsonToken.VALUE_NULL) {
                continue;
            }
            if (field == null) {
                p.skipChildren();
                continue;
            }
            switch (field) {
                case NAME -> string(p, key, f.name);
                case TYPE -> string(p, key, f.type);
                case SIZE -> f.size = number(p, key);
                case MODTIME -> string(p, key, f.modtime);
                case LINKNAME -> string(p, key, f.linkName);
                case MODE -> f.mode = number(p, key);
                case UID -> f.uid = number(p, key);
                case GID -> f.gid = number(p, key);
                case USERNAME -> string(p, key, f.userName);
                case GROUPNAME -> string(p, key, f.groupName);
                case OFFSET -> f.offset = number(p, key);
                case INNEROFFSET -> f.innerOffset = number(p, key);
                case DEVMAJOR -> f.devMajor = number(p, key);
                case DEVMINOR -> f.devMinor = number(p, key);
                case XATTRS -> f.xattrs = xattrs(p);
                case DIGEST -> string(p, key, f.digest);
                case CHUNKOFFSET -> f.chunkOffset = number(p, key);
                case CHUNKSIZE -> f.chunkSize = number(p, key);
                case CHUNKDIGEST -> string(p, key, f.chunkDigest);
            }
        }
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
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                throw notString("xattrs." + name);
            }
            String b64 = p.getText().replace("\r", "").replace("\n", "");
            try {
                out.put(name, Base64.getDecoder().decode(b64));
            } catch (IllegalArgumentException e) {
                throw bad("entry #" + index + ": xattr " + name + " is not base64: " + e.getMessage());
            }
        }
        return out;
    }

    private void string(JsonParser p, String key, TocFields.Text into) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw notString(key);
        }
        into.set(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
    }

    private InvalidBlobException notString(String key) {
        return bad("entry #" + index + ": \"" + key + "\" is not a string");
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
