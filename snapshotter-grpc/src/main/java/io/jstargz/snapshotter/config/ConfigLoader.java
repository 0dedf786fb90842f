package io.jstargz.snapshotter.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.jstargz.text.Sizes;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads TOML configuration: keys the file leaves out keep their defaults, an unknown key is an error naming it. Each
 * value is checked against the type of its default before Jackson binds the records, so a wrong type is reported in
 * the file's terms ("must be a whole number, not 1.5") rather than Jackson's, and nothing is silently converted. Keys
 * ending in {@code _bytes} also take a size with a unit, as the command line does ({@code "4M"}, {@code "1GiB"}).
 */
public final class ConfigLoader {
    private static final TomlMapper MAPPER = TomlMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();
    private static final String SIZE_SUFFIX = "_bytes";

    private ConfigLoader() {
    }

    /** {@code file} if given (it must exist), else {@link Config#DEFAULT_FILE} if it exists, else the defaults. */
    public static Config load(Path file) throws ConfigException {
        if (file == null) {
            return Files.exists(Config.DEFAULT_FILE) ? read(Config.DEFAULT_FILE) : Config.defaults();
        }
        return read(file);
    }

    /** Where {@link #load} reads {@code file} from, for the start-up line: a path, or that there is none. */
    public static String origin(Path file) {
        Path read = file != null ? file : Files.exists(Config.DEFAULT_FILE) ? Config.DEFAULT_FILE : null;
        return read == null ? "none (the defaults)" : read.toAbsolutePath().toString();
    }

    private static Config read(Path file) throws ConfigException {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new ConfigException("cannot read config " + file + ": permission denied", e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config " + file + ": " + e, e);
        }
    }

    /** Parses TOML text; {@code source} names it in error messages. */
    public static Config parse(String toml, String source) throws ConfigException {
        JsonNode user;
        try {
            user = MAPPER.readTree(toml);
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            String where = at == null || at.getLineNr() < 1 ? ""
                    : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new ConfigException("config " + source + " is not valid TOML" + where + ": "
                    + e.getOriginalMessage(), e);
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
                defaults.set(e.getKey(), typed(def, e.getValue(), key, source));
            }
        }
    }

    /** {@code value} if it has the type of {@code def}; a size with a unit for a {@code _bytes} key, in bytes. */
    private static JsonNode typed(JsonNode def, JsonNode value, String key, String source) throws ConfigException {
        if (key.endsWith(SIZE_SUFFIX) && value.isTextual()) {
            try {
                return LongNode.valueOf(Sizes.parse(value.textValue()));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("config " + source + ": key '" + key + "': " + e.getMessage(), e);
            }
        }
        String expected;
        if (def.isBoolean()) {
            expected = value.isBoolean() ? null : "true or false";
        } else if (def.isIntegralNumber()) {
            boolean fits = value.isIntegralNumber() && (def.isInt() ? value.canConvertToInt()
                    : value.canConvertToLong());
            expected = fits ? null : key.endsWith(SIZE_SUFFIX)
                    ? "a whole number of bytes or a size with a unit such as \"4M\" or \"1GiB\""
                    : value.isIntegralNumber() ? "a whole number up to " + Integer.MAX_VALUE : "a whole number";
        } else if (def.isTextual()) {
            expected = value.isTextual() ? null : "a string in quotes";
        } else {
            expected = null;
        }
        if (expected != null) {
            throw new ConfigException("config " + source + ": key '" + key + "' must be " + expected + ", not "
                    + value);
        }
        return value;
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
