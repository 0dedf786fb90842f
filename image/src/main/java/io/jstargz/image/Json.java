package io.jstargz.image;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.remote.Descriptor;
import java.io.IOException;

/**
 * JSON of manifests, indexes and configs, read as trees so that fields this code does not know are written back
 * unchanged (numbers exactly as they were, keys in their order).
 */
final class Json {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private Json() {
    }

    /** Parses a JSON object; {@code what} names the document in the error. */
    static ObjectNode object(byte[] bytes, String what) throws IOException {
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new IOException(what + " is not valid JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IOException(what + " is not a JSON object");
        }
        return (ObjectNode) node;
    }

    /** Reads a tree into a record such as {@link Descriptor}; {@code what} names it in the error. */
    static <T> T read(JsonNode node, Class<T> type, String what) throws IOException {
        try {
            return MAPPER.treeToValue(node, type);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("malformed " + what + ": " + e.getMessage(), e);
        }
    }

    static byte[] bytes(JsonNode node) throws IOException {
        return MAPPER.writeValueAsBytes(node);
    }

    /** The descriptor as a JSON object (for a new index entry or manifest field). */
    static ObjectNode tree(Descriptor descriptor) {
        return MAPPER.valueToTree(descriptor);
    }
}
