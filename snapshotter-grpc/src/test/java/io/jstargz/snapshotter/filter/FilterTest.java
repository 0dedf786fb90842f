package io.jstargz.snapshotter.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** containerd filter syntax cases (from containerd's filters package behaviour). */
class FilterTest {
    private static final Map<String, String> LABELS = Map.of(
            "containerd.io/snapshot.ref", "sha256:abc", "a.b", "dotted", "quoted", "x y");

    private static boolean matches(String filter) throws FilterSyntaxException {
        return Filter.parse(filter).matches(FilterTest::field);
    }

    private static Optional<String> field(List<String> path) {
        return switch (path.get(0)) {
            case "name" -> Optional.of("default/3/sha256:def");
            case "kind" -> Optional.of("committed");
            case "parent" -> Optional.of("");
            case "labels" -> Optional.ofNullable(LABELS.get(String.join(".", path.subList(1, path.size()))));
            default -> Optional.empty();
        };
    }

    @Test
    void selectors() throws Exception {
        assertTrue(matches(""));
        assertTrue(matches("kind==committed"));
        assertFalse(matches("kind==active"));
        assertTrue(matches("kind!=active"));
        assertTrue(matches("name==default/3/sha256:def"));
        assertTrue(matches("name~=^default/[0-9]+/"));
        assertTrue(matches("name~=/sha256:d/"));
        assertTrue(matches("name~=|sha256|"));
        assertTrue(matches("parent==\"\""));
        assertTrue(matches("labels.\"containerd.io/snapshot.ref\"==sha256:abc"));
        assertTrue(matches("labels.\"containerd.io/snapshot.ref\""));
        assertFalse(matches("labels.missing"));
        assertTrue(matches("labels.a.b==dotted"));
        assertTrue(matches("labels.quoted==\"x y\""));
        assertTrue(matches("labels.quoted==\"x\\u0020y\""));
        assertTrue(matches("labels.missing!=x"));
        assertFalse(matches("labels.missing==\"\""));
        assertTrue(matches("unknownfield!=x"));
    }

    @Test
    void commaIsAndSeveralStringsAreOr() throws Exception {
        assertTrue(matches("kind==committed,labels.a.b==dotted"));
        assertFalse(matches("kind==committed,labels.a.b==other"));
        assertTrue(Filter.parseAny(List.of("kind==active", "kind==committed")).matches(FilterTest::field));
        assertFalse(Filter.parseAny(List.of("kind==active", "kind==view")).matches(FilterTest::field));
        assertTrue(Filter.parseAny(List.of()).matches(FilterTest::field));
    }

    @Test
    void syntaxErrorsSayWhere() {
        for (String bad : List.of("name==", "name=", "name==a,", ",name==a", "name==a b", "labels.\"unterminated",
                "name<>a", "name~=(", "labels./x/==1", "name==\"\\q\"")) {
            FilterSyntaxException e = assertThrows(FilterSyntaxException.class, () -> Filter.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("filters: parse error: ["), e.getMessage());
        }
        FilterSyntaxException e = assertThrows(FilterSyntaxException.class, () -> Filter.parse("name==a b"));
        assertEquals("filters: parse error: [name==a >| |< b]: unexpected input:  ", e.getMessage());
    }
}
