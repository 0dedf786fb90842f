package io.jstargz.snapshotter.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A containerd filter: selectors like {@code kind==committed}, {@code name!=foo}, {@code parent~=^sha},
 * {@code labels."containerd.io/snapshot.ref"==sha256:...} or the bare field path {@code labels.foo} (presence).
 * Selectors joined by {@code ,} must all match; several filter strings match if any one does.
 */
@FunctionalInterface
public interface Filter {

    /** Looks up a field path ({@code ["labels", "containerd.io/snapshot.ref"]}); empty when absent. */
    @FunctionalInterface
    interface Fields {
        Optional<String> get(List<String> fieldPath);
    }

    /** Matches everything: no filter, or an empty filter string. */
    Filter ALWAYS = fields -> true;

    boolean matches(Fields fields);

    /** Parses one filter string (AND of its selectors). */
    static Filter parse(String filter) throws FilterSyntaxException {
        return filter.isEmpty() ? ALWAYS : new FilterParser(filter).parse();
    }

    /** Parses several filter strings into their OR; no strings at all match everything. */
    static Filter parseAny(List<String> filters) throws FilterSyntaxException {
        if (filters.isEmpty()) {
            return ALWAYS;
        }
        List<Filter> any = new ArrayList<>();
        for (String f : filters) {
            any.add(parse(f));
        }
        return fields -> any.stream().anyMatch(f -> f.matches(fields));
    }
}
