package io.jstargz.image;

import io.jstargz.concurrent.Threads;
import io.jstargz.image.LayerProgress.Phase;
import io.jstargz.text.Sizes;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Shows a conversion to a person: on a terminal, one live line per layer (phase, a bar of the bytes fetched, bytes
 * in and out), redrawn a few times a second; elsewhere (a log, a pipe), one plain line per layer event.
 */
public final class ProgressPrinter implements ConvertListener, AutoCloseable {
    private static final int BAR_WIDTH = 20;
    private static final long REDRAW_MILLIS = 200;

    private final PrintWriter out;
    private final boolean terminal;
    private final List<LayerProgress> layers = new ArrayList<>();
    private final ScheduledExecutorService redraw;
    private int drawnLines;

    /** Prints to {@code out}; {@code terminal} selects live bars (ANSI escapes) over plain lines. */
    public ProgressPrinter(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
        if (terminal) {
            redraw = Executors.newSingleThreadScheduledExecutor(Threads.named("jstargz-progress"));
            redraw.scheduleAtFixedRate(this::draw, REDRAW_MILLIS, REDRAW_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            redraw = null;
        }
    }

    @Override
    public synchronized void layerAdded(LayerProgress layer) {
        layers.add(layer);
    }

    @Override
    public synchronized void layerPhase(LayerProgress layer) {
        if (terminal) {
            return;
        }
        Phase p = layer.phase();
        String line = switch (p) {
            case FETCHING -> "fetching (" + Sizes.human(layer.sizeIn()) + ")";
            case CONVERTED -> "converted: " + Sizes.human(layer.sizeIn()) + " -> " + Sizes.human(layer.bytesOut());
            case CHECKING, WAITING, CONVERTING, PUSHING, REUSED, KEPT, FAILED -> p.label();
            case QUEUED -> null;
        };
        if (line != null) {
            out.println("layer " + layer.shortName() + ": " + line);
            out.flush();
        }
    }

    @Override
    public synchronized void note(String line) {
        clear();
        out.println(line);
        out.flush();
        if (terminal) {
            draw();
        }
    }

    /** Redraws the bars (terminal mode). */
    private synchronized void draw() {
        clear();
        for (LayerProgress l : layers) {
            out.println(line(l));
        }
        drawnLines = layers.size();
        out.flush();
    }

    private void clear() {
        for (int i = 0; i < drawnLines; i++) {
            out.print("\033[1A\033[2K");
        }
        drawnLines = 0;
    }

    static String line(LayerProgress l) {
        long in = l.bytesIn();
        double fraction = l.phase().isFinal() ? 1 : l.sizeIn() == 0 ? 0 : Math.min(1, (double) in / l.sizeIn());
        int full = (int) Math.round(fraction * BAR_WIDTH);
        return String.format(Locale.ROOT, "%s %-28s [%s%s] in %9s / %-9s out %9s", l.shortName(),
                l.phase().label(), "=".repeat(full), " ".repeat(BAR_WIDTH - full), Sizes.human(in),
                Sizes.human(l.sizeIn()), Sizes.human(l.bytesOut()));
    }

    @Override
    public void close() {
        if (redraw != null) {
            redraw.shutdownNow();
            try {
                redraw.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            draw();
        }
    }
}
