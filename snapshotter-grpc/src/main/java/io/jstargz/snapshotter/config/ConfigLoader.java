package io.jstargz.snapshotter.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads TOML configuration: keys the file leaves out keep their defaults, an unknown key is an error naming it.
 */
public final class ConfigLoader {
    private static final TomlMapper MAPPER = TomlMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private ConfigLoader() {
    }

    /** {@code file} if given (it must exist), else {@link Config#DEFAULT_FILE} if it exists, else the defaults. */
    public static Config load(Path file) throws ConfigException {
        if (file == null) {
            return Files.exists(Config.DEFAULT_FILE) ? read(Config.DEFAULT_FILE) : Config.defaults();
        }
        return read(file);
    }

    private static Config read(Path file) throws ConfigException {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ConfigException("cannot read config " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses TOML text; {@code source} names it in error messages. */
    public static Config parse(String toml, String source) throws ConfigException {
        JsonNode user;
        try {
            user = MAPPER.readTree(toml);
        } catch (JacksonException e) {
            throw new ConfigException("config " + source + " is not valid TOML: " + e.getOriginalMessage(), e);
        }
        ObjectNode merged = MAPPER.valueToTree(Config.defaults());
        if (user != null && user.isObject()) {
            merge(merged, (ObjectNode) user, "", source);
        }
        try {
            return MAPPER.treeToValue(merged, Config.class);
        } catch (JsonMappingException e) {
            Throwable root = rootCause(e);
            if (root instanceof IllegalArgumentException) {
                throw new ConfigException("config " + source + ": " + root.getMessage(), e);
            }
            throw new ConfigException("config " + source + ": key '" + keyPath(e) + "' has the wrong type: "
                    + e.getOriginalMessage(), e);
        } catch (JacksonException e) {
            throw new ConfigException("config " + source + ": " + e.getOriginalMessage(), e);
        }
    }

    /** Overlays {@code user} on the defaults; a key the defaults do not have is unknown. */
    private static void merge(ObjectNode defaults, ObjectNode user, String prefix, String source)
            throws ConfigException {
        for (Map.Entry<String, JsonNode> e : user.properties()) {
            String key = prefix + e.getKey();
            JsonNode def = defaults.get(e.getKey());
            if (def == null) {
                throw new ConfigException("config " + source + ": unknown key '" + key + "'");
            }
            if (def.isObject() && e.getValue().isObject()) {
                merge((ObjectNode) def, (ObjectNode) e.getValue(), key + ".", source);
            } else if (def.isObject() != e.getValue().isObject()) {
                throw new ConfigException("config " + source + ": key '" + key + "' must be "
                        + (def.isObject() ? "a table [" + key + "]" : "a value, not a table"));
            } else {
                defaults.set(e.getKey(), e.getValue());
            }
        }
    }

    private static String keyPath(JsonMappingException e) {
        return e.getPath().stream().map(JsonMappingException.Reference::getFieldName)
                .collect(Collectors.joining("."));
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
