package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link GoPaths#clean} gives what Go's {@code path.Clean} gives (cases from Go's own tests), clean or not. */
class GoPathsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|.", "abc|abc", "abc/def|abc/def", "a/b/c|a/b/c", ".|.", "..|..", "../..|../..", "../../abc|../../abc",
        "/abc|/abc", "/|/", "abc/|abc", "abc/def/|abc/def", "/abc/|/abc", "abc//def//ghi|abc/def/ghi", "//abc|/abc",
        "///abc|/abc", "abc/./def|abc/def", "/./abc/def|/abc/def", "abc/.|abc", "abc/def/ghi/../jkl|abc/def/jkl",
        "abc/def/../ghi/../jkl|abc/jkl", "abc/def/..|abc", "abc/def/../..|.", "/abc/def/../..|/",
        "abc/def/../../..|..", "/abc/def/../../..|/", "abc/def/../../../ghi/jkl/../../../mno|../../mno",
        "abc/./../def|def", "abc//./../def|def", "abc/../../././../def|../../def", ".abc/..def/...|.abc/..def/...",
        "a/.b/c..|a/.b/c.."})
    void cleanIsGosPathClean(String in, String want) {
        assertEquals(want, GoPaths.clean(in));
    }
}
