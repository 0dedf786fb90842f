package io.jstargz.build;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BuildInfoTest {

    @Test
    void theVersionIsTheProjectsFilledInByTheBuild() {
        String v = BuildInfo.current().version();
        assertTrue(v.matches("\\d+\\.\\d+\\.\\d+.*"), v);
    }
}
