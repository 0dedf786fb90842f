package io.jstargz.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results as a picture beside the Markdown: for each image and network, one horizontal bar per mode, its median
 * time to a running container split into pull and run, coloured by who pulled (a full pull grey, jstargz blue, the
 * reference orange). Plain SVG written by hand, so bench/run needs no plotting library; it reads the results JSON, so
 * any earlier run can be drawn again: {@code java -cp ... io.jstargz.bench.Chart RESULTS.json OUT.svg}.
 */
public final class Chart {
    private static final int LABEL_WIDTH = 150;
    private static final int PLOT_WIDTH = 560;
    private static final int BAR_HEIGHT = 16;
    private static final int BAR_GAP = 4;
    private static final int GROUP_GAP = 26;
    private static final int TOP = 46;

    private Chart() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Chart RESULTS.json OUT.svg");
            System.exit(2);
        }
        Files.writeString(Path.of(args[1]), render(new ObjectMapper().readTree(Path.of(args[0]).toFile())));
    }

    /** One bar: a cell's medians. */
    private record Bar(String mode, double pull, double run) {
        double total() {
            return pull + run;
        }
    }

    /** The SVG of the {@code cells} of a results document. */
    static String render(JsonNode results) {
        Map<String, List<Bar>> groups = new LinkedHashMap<>();
        for (JsonNode c : results.path("cells")) {
            groups.computeIfAbsent(c.path("image").asText() + ", " + c.path("net").asText(), k -> new ArrayList<>())
                    .add(new Bar(c.path("mode").asText(), c.path("pull").path("median").asDouble(),
                            c.path("run").path("median").asDouble()));
        }
        double max = groups.values().stream().flatMap(List::stream).mapToDouble(Bar::total).max().orElse(1);
        double scale = PLOT_WIDTH / niceCeiling(max);
        int bars = groups.values().stream().mapToInt(List::size).sum();
        int height = TOP + bars * (BAR_HEIGHT + BAR_GAP) + groups.size() * GROUP_GAP + 40;
        int width = LABEL_WIDTH + PLOT_WIDTH + 90;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width,
                height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        svg.append("<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Time to a running container "
                + "(median seconds: pull, then run)</text>\n");
        legend(svg);
        int y = TOP;
        for (Map.Entry<String, List<Bar>> g : groups.entrySet()) {
            y += GROUP_GAP;
            svg.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\" font-weight=\"bold\">%s</text>%n",
                    y - 8, escape(g.getKey())));
            for (Bar b : g.getValue()) {
                double pullWidth = b.pull() * scale;
                double runWidth = b.run() * scale;
                String colour = colour(b.mode());
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                        LABEL_WIDTH - 6, y + BAR_HEIGHT - 4, escape(b.mode())));
                svg.append(String.format(Locale.ROOT, "<rect class=\"pull\" x=\"%d\" y=\"%d\" width=\"%.1f\""
                        + " height=\"%d\" fill=\"%s\"><title>%s pull %.2f s</title></rect>%n", LABEL_WIDTH, y,
                        pullWidth, BAR_HEIGHT, colour, escape(b.mode()), b.pull()));
                svg.append(String.format(Locale.ROOT, "<rect class=\"run\" x=\"%.1f\" y=\"%d\" width=\"%.1f\""
                        + " height=\"%d\" fill=\"%s\" fill-opacity=\"0.45\"><title>%s run %.2f s</title></rect>%n",
                        LABEL_WIDTH + pullWidth, y, runWidth, BAR_HEIGHT, colour, escape(b.mode()), b.run()));
                svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%.2f s</text>%n",
                        LABEL_WIDTH + pullWidth + runWidth + 4, y + BAR_HEIGHT - 4, b.total()));
                y += BAR_HEIGHT + BAR_GAP;
            }
        }
        axis(svg, y + 6, niceCeiling(max), scale);
        return svg.append("</svg>\n").toString();
    }

    private static void legend(StringBuilder svg) {
        int x = 10;
        for (String[] entry : new String[][] {{"full pull", colour("legacy")}, {"jstargz", colour("lazy")},
            {"reference stargz-snapshotter", colour("ref-lazy")}}) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"30\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"40\">%s</text>%n", x, entry[1], x + 16, entry[0]));
            x += 40 + entry[0].length() * 7;
        }
    }

    private static void axis(StringBuilder svg, int y, double top, double scale) {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LABEL_WIDTH, y, LABEL_WIDTH + PLOT_WIDTH, y));
        for (int i = 0; i <= 5; i++) {
            double v = top * i / 5;
            double x = LABEL_WIDTH + v * scale;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, y, x, y + 4, x, y + 18,
                    v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">seconds</text>%n",
                LABEL_WIDTH + PLOT_WIDTH / 2, y + 34));
    }

    /** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least {@code v}, for round axis ticks. */
    static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(Math.max(v, 1e-9))));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String colour(String mode) {
        if (mode.startsWith("ref-")) {
            return "#e8751a";
        }
        return mode.equals("legacy") ? "#7f7f7f" : "#1f6fb4";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
