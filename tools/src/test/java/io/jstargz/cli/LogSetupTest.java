package io.jstargz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The CLI's log lines: the shipped logback.xml, the JSON option and java.util.logging bridged. */
class LogSetupTest {
    private static final LoggerContext CONTEXT = (LoggerContext) LoggerFactory.getILoggerFactory();

    private static ILoggingEvent event(String message) {
        Logger logger = CONTEXT.getLogger("io.jstargz.snapshotter.Daemon");
        return new LoggingEvent(Logger.class.getName(), logger, Level.INFO, message, null, null);
    }

    @Test
    void textLinesCarryAnRfc3339Timestamp() {
        String line = new String(LogSetup.appender().getEncoder().encode(event("jstargz snapshotter ready")),
                StandardCharsets.UTF_8);
        assertTrue(line.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) INFO  Daemon:"
                + " jstargz snapshotter ready\\n"), line);
    }

    @Test
    void jsonLinesAreOneObjectAnEvent() throws Exception {
        ConsoleAppender<ILoggingEvent> appender = LogSetup.appender();
        Encoder<ILoggingEvent> text = appender.getEncoder();
        try {
            LogSetup.format("json");
            String line = new String(appender.getEncoder().encode(event("mounted lazily")), StandardCharsets.UTF_8);
            assertEquals(1, line.lines().count(), line);
            JsonNode json = new ObjectMapper().readTree(line);
            assertEquals("INFO", json.get("level").asText());
            assertEquals("io.jstargz.snapshotter.Daemon", json.get("loggerName").asText());
            assertEquals("mounted lazily", json.get("formattedMessage").asText(), line);
        } finally {
            appender.stop();
            appender.setEncoder(text);
            appender.start();
        }
    }

    @Test
    void javaUtilLoggingComesOutThroughLogback() {
        LogSetup.bridgeJul();
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.setContext(CONTEXT);
        seen.start();
        Logger grpc = CONTEXT.getLogger("io.grpc.test");
        grpc.addAppender(seen);
        try {
            java.util.logging.Logger.getLogger("io.grpc.test").warning("a message through JUL");
            assertEquals(1, seen.list.size());
            assertEquals("a message through JUL", seen.list.get(0).getFormattedMessage());
            assertEquals(Level.WARN, seen.list.get(0).getLevel());
        } finally {
            grpc.detachAppender(seen);
        }
    }

    @Test
    void theJdksAndOkhttpsDebugLinesStayOutOfTheDaemonsDebugLog() {
        LogSetup.bridgeJul();
        Logger root = CONTEXT.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        try {
            LogSetup.level("debug");
            for (String name : List.of("jdk.event.security", "com.sun.net.httpserver",
                    "okhttp3.internal.concurrent.TaskRunner")) {
                assertFalse(CONTEXT.getLogger(name).isDebugEnabled(), name);
            }
            assertTrue(CONTEXT.getLogger("io.jstargz.snapshotter.Daemon").isDebugEnabled());
        } finally {
            root.setLevel(before);
        }
    }
}
