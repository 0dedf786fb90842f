package io.jstargz.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.util.List;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The CLI's logging, set up in code where {@code logback.xml} cannot decide: the level from the command line or the
 * config, the format ({@code text} lines or logback's JSON lines), and java.util.logging routed to slf4j so grpc's
 * and okhttp's messages come out in the same format.
 */
final class LogSetup {
    /** The formats {@code --log-format} takes. */
    static final List<String> FORMATS = List.of("text", "json");
    /** The appender {@code logback.xml} defines. */
    static final String APPENDER = "STDERR";

    private LogSetup() {
    }

    /** Routes java.util.logging to slf4j (once; its levels follow logback's through the LevelChangePropagator). */
    static synchronized void bridgeJul() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    static void level(String level) {
        root().setLevel(Level.toLevel(level));
    }

    /** Writes each event as {@code format} says: {@code text} (the pattern of logback.xml) or {@code json}. */
    static void format(String format) {
        if (!"json".equals(format)) {
            return;
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        ConsoleAppender<ILoggingEvent> appender = appender();
        JsonEncoder json = new JsonEncoder();
        json.setContext(context);
        json.setWithFormattedMessage(true);
        json.start();
        appender.stop();
        appender.setEncoder(json);
        appender.start();
    }

    /** The console appender of logback.xml. */
    @SuppressWarnings("unchecked")
    static ConsoleAppender<ILoggingEvent> appender() {
        return (ConsoleAppender<ILoggingEvent>) root().getAppender(APPENDER);
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
