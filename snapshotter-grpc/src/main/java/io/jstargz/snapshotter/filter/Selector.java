package io.jstargz.snapshotter.filter;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** One {@code fieldpath[op value]} term of a filter. */
record Selector(List<String> fieldPath, Operator operator, String value, Pattern regex) implements Filter {

    enum Operator { PRESENT, EQUAL, NOT_EQUAL, MATCHES }

    @Override
    public boolean matches(Fields fields) {
        Optional<String> v = fields.get(fieldPath);
        return switch (operator) {
            case PRESENT -> v.isPresent();
            case EQUAL -> v.isPresent() && v.get().equals(value);
            case NOT_EQUAL -> !v.orElse("").equals(value);
            case MATCHES -> regex.matcher(v.orElse("")).find();
        };
    }
}
