package io.jstargz.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.image.LayerProgress.Phase;
import io.jstargz.remote.Digest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The live progress: rate and time left, redraws of only what changed, plain lines when the layers do not fit. */
class ProgressPrinterTest {
    private static final long MIB = 1 << 20;
    private static final long SECOND = 1_000_000_000L;

    private static LayerProgress layer(char hex, long size) {
        return new LayerProgress(Digest.parse("sha256:" + String.valueOf(hex).repeat(64)), size);
    }

    @Test
    void theRateIsSmoothedAndGivesTheTimeLeft() {
        ProgressPrinter.Rate r = new ProgressPrinter.Rate();
        assertEquals(0, r.sample(0, 0));
        assertEquals(MIB, r.sample(MIB, SECOND), 1e-6);
        // a burst moves the smoothed rate only part of the way
        assertEquals(0.7 * MIB + 0.3 * 3 * MIB, r.sample(4 * MIB, 2 * SECOND), 1e-6);
        assertEquals("  1.0 MiB/s, 1:05 left", ProgressPrinter.speed(65 * MIB, MIB));
        assertEquals("", ProgressPrinter.speed(65 * MIB, 0), "nothing moves yet");
        assertEquals("", ProgressPrinter.speed(0, MIB), "nothing is left");
    }

    @Test
    void aRedrawRewritesOnlyTheLinesThatChanged() {
        StringWriter text = new StringWriter();
        AtomicLong clock = new AtomicLong();
        ProgressPrinter p = new ProgressPrinter(new PrintWriter(text), true, 40, clock::get);
        LayerProgress a = layer('a', 10 * MIB);
        LayerProgress b = layer('b', 10 * MIB);
        p.layerAdded(a);
        p.layerAdded(b);
        a.phase(Phase.KEPT);
        b.phase(Phase.FETCHING);
        p.draw();
        String first = text.toString();
        assertTrue(first.contains("aaaaaaaaaaaa") && first.contains("bbbbbbbbbbbb") && first.contains("total 2"),
                first);

        text.getBuffer().setLength(0);
        clock.set(SECOND);
        b.addIn(2 * MIB);
        p.draw();
        String second = text.toString();
        assertFalse(second.contains("aaaaaaaaaaaa"), "the finished layer is left as it is: " + second);
        assertTrue(second.contains("bbbbbbbbbbbb") && second.contains("2.0 MiB/s, 0:04 left"), second);
        assertTrue(second.startsWith("\033[3A\033[1B\033[2K"), "up to the block, past a, rewrite b: " + second);
        assertTrue(second.contains("total 2 layer(s): in 12.0 MiB / 20.0 MiB"), second);

        text.getBuffer().setLength(0);
        p.draw();
        assertEquals("", text.toString(), "nothing changed, nothing is written");
    }

    @Test
    void moreLayersThanRowsGivesPlainLines() {
        StringWriter text = new StringWriter();
        ProgressPrinter p = new ProgressPrinter(new PrintWriter(text), true, 4, () -> 0);
        LayerProgress a = layer('a', MIB);
        LayerProgress b = layer('b', MIB);
        LayerProgress c = layer('c', MIB);
        p.layerAdded(a);
        p.layerAdded(b);
        p.draw();
        p.layerAdded(c);
        assertTrue(text.toString().contains("3 layers are more than the terminal's 4 rows: plain lines"),
                text.toString());
        text.getBuffer().setLength(0);
        c.phase(Phase.CONVERTING);
        p.layerPhase(c);
        p.draw();
        assertEquals("layer cccccccccccc: " + Phase.CONVERTING.label() + "\n", text.toString());
    }
}
