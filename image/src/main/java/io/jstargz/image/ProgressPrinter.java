package io.jstargz.image;

import io.jstargz.concurrent.Threads;
import io.jstargz.image.LayerProgress.Phase;
import io.jstargz.text.Sizes;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Shows a conversion to a person: on a terminal, one live line per layer (phase, a bar of the bytes fetched, bytes
 * in and out, the rate and the time left) and a total line, redrawn a few times a second; elsewhere (a log, a pipe),
 * or when there are more layers than the terminal has rows, one plain line per layer event.
 *
 * <p>A redraw rewrites only the lines that changed (finished layers stay as they are), so a slow link or a terminal
 * multiplexer is not flooded. Rates are smoothed over redraws, so the time left does not jump with each packet.
 */
public final class ProgressPrinter implements ConvertListener, AutoCloseable {
    private static final int BAR_WIDTH = 20;
    private static final long REDRAW_MILLIS = 200;

    /** Bytes per second, smoothed over the samples it is given. */
    static final class Rate {
        private static final double WEIGHT = 0.3;
        private long lastBytes = -1;
        private long lastNanos;
        private double perSecond;

        /** Takes a sample of {@code bytes} done at {@code nanos}; returns the smoothed rate. */
        double sample(long bytes, long nanos) {
            if (lastBytes >= 0 && nanos > lastNanos) {
                double now = (bytes - lastBytes) * 1e9 / (nanos - lastNanos);
                perSecond = perSecond == 0 ? now : (1 - WEIGHT) * perSecond + WEIGHT * now;
            }
            lastBytes = bytes;
            lastNanos = nanos;
            return perSecond;
        }
    }

    private final PrintWriter out;
    private final int rows;
    private final LongSupplier clock;
    private final List<LayerProgress> layers = new ArrayList<>();
    private final Map<LayerProgress, Rate> rates = new IdentityHashMap<>();
    private final Rate totalRate = new Rate();
    private final ScheduledExecutorService redraw;
    private boolean live;
    private List<String> drawn = List.of();

    /**
     * Prints to {@code out}; {@code terminal} selects live bars (ANSI escapes) over plain lines, for a terminal of
     * {@code rows} rows.
     */
    public ProgressPrinter(PrintWriter out, boolean terminal, int rows) {
        this(out, terminal, rows, System::nanoTime);
        if (terminal) {
            redraw.scheduleAtFixedRate(this::draw, REDRAW_MILLIS, REDRAW_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** A printer that redraws only when {@link #draw()} is called, reading time from {@code clock}. */
    ProgressPrinter(PrintWriter out, boolean terminal, int rows, LongSupplier clock) {
        this.out = out;
        this.live = terminal;
        this.rows = rows;
        this.clock = clock;
        this.redraw = terminal ? Executors.newSingleThreadScheduledExecutor(Threads.named("jstargz-progress")) : null;
    }

    @Override
    public synchronized void layerAdded(LayerProgress layer) {
        layers.add(layer);
        rates.put(layer, new Rate());
        // the layers, the total line and the cursor's own line must fit, or the redraw scrolls out of reach
        if (live && layers.size() + 2 > rows) {
            clear();
            live = false;
            out.println(layers.size() + " layers are more than the terminal's " + rows + " rows: plain lines");
            out.flush();
        }
    }

    @Override
    public synchronized void layerPhase(LayerProgress layer) {
        if (live) {
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
        draw();
    }

    /** Redraws what changed since the last draw (live mode). */
    synchronized void draw() {
        if (!live) {
            return;
        }
        long now = clock.getAsLong();
        List<String> lines = new ArrayList<>(layers.size() + 1);
        long in = 0;
        long size = 0;
        long bytesOut = 0;
        for (LayerProgress l : layers) {
            lines.add(line(l, rates.get(l).sample(l.bytesIn(), now)));
            in += l.phase().isFinal() ? l.sizeIn() : Math.min(l.bytesIn(), l.sizeIn());
            size += l.sizeIn();
            bytesOut += l.bytesOut();
        }
        double rate = totalRate.sample(in, now);
        lines.add(String.format(Locale.ROOT, "total %d layer(s): in %s / %s, out %s%s", layers.size(),
                Sizes.human(in), Sizes.human(size), Sizes.human(bytesOut), speed(size - in, rate)));
        if (lines.size() != drawn.size()) {
            clear();
            lines.forEach(out::println);
        } else if (!lines.equals(drawn)) {
            // from the line after the block: up to its first line, then down line by line, rewriting changed ones
            out.print("\033[" + lines.size() + "A");
            for (int i = 0; i < lines.size(); i++) {
                out.print(lines.get(i).equals(drawn.get(i)) ? "\033[1B" : "\033[2K" + lines.get(i) + "\n");
            }
        }
        drawn = lines;
        out.flush();
    }

    private void clear() {
        for (int i = 0; i < drawn.size(); i++) {
            out.print("\033[1A\033[2K");
        }
        drawn = List.of();
    }

    static String line(LayerProgress l, double bytesPerSecond) {
        long in = l.bytesIn();
        double fraction = l.phase().isFinal() ? 1 : l.sizeIn() == 0 ? 0 : Math.min(1, (double) in / l.sizeIn());
        int full = (int) Math.round(fraction * BAR_WIDTH);
        return String.format(Locale.ROOT, "%s %-28s [%s%s] in %9s / %-9s out %9s%s", l.shortName(),
                l.phase().label(), "=".repeat(full), " ".repeat(BAR_WIDTH - full), Sizes.human(in),
                Sizes.human(l.sizeIn()), Sizes.human(l.bytesOut()),
                l.phase().isFinal() ? "" : speed(l.sizeIn() - in, bytesPerSecond));
    }

    /** {@code  1.5 MiB/s, 0:42 left}, or nothing while nothing moves or nothing is left. */
    static String speed(long left, double bytesPerSecond) {
        if (bytesPerSecond <= 0 || left <= 0) {
            return "";
        }
        long seconds = (long) Math.ceil(left / bytesPerSecond);
        return String.format(Locale.ROOT, "  %s/s, %d:%02d left", Sizes.human((long) bytesPerSecond), seconds / 60,
                seconds % 60);
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
