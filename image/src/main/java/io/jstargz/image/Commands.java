package io.jstargz.image;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs system commands ({@code mount}, {@code umount}, {@code runc}) that finish quickly, with a deadline. */
final class Commands {
    private Commands() {
    }

    /** Runs {@code command} and returns its output (stdout and stderr); fails with the output if it fails. */
    static String run(List<String> command, Duration deadline) throws IOException {
        Path log = Files.createTempFile("jstargz-cmd-", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(new File("/dev/null")).start();
            try {
                if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(String.join(" ", command) + " did not finish within " + deadline);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted running " + String.join(" ", command), e);
            }
            String text = tail(log, 64 << 10);
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + text);
            }
            return text;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The last {@code max} bytes of a file, as text. */
    static String tail(Path file, int max) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long from = Math.max(0, ch.size() - max);
            ByteBuffer buf = ByteBuffer.allocate((int) (ch.size() - from));
            int n = 0;
            while (buf.hasRemaining() && n >= 0) {
                n = ch.read(buf, from + buf.position());
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
        }
    }
}
