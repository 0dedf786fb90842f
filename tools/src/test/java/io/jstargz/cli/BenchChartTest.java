package io.jstargz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * bench/run's chart, drawn from a results file bench/run wrote: the bench classes are compiled as bench/run compiles
 * them (against jstargz's classes), and the SVG is checked as XML: one pull and one run bar per cell, sized by its
 * medians, each labelled.
 */
class BenchChartTest {
    private static final Path REPO = Path.of(System.getProperty("jstargz.repo"));
    private static final Path RESULTS = REPO.resolve("bench/results/20261205-010336.json");

    @TempDir
    Path tmp;

    @Test
    void theChartHasABarPerCellSizedByItsMedians() throws Exception {
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-cp", System.getProperty("java.class.path"),
                "-d", classes.toString()));
        try (Stream<Path> sources = Files.walk(REPO.resolve("bench/src"))) {
            sources.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        assertEquals(0, javac.run(null, null, errors, args.toArray(String[]::new)), errors::toString);

        Path svg = tmp.resolve("chart.svg");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                getClass().getClassLoader())) {
            loader.loadClass("io.jstargz.bench.Chart").getMethod("main", String[].class)
                    .invoke(null, (Object) new String[] {RESULTS.toString(), svg.toString()});
        }
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        List<Element> pulls = new ArrayList<>();
        List<Element> runs = new ArrayList<>();
        NodeList rects = doc.getElementsByTagName("rect");
        for (int i = 0; i < rects.getLength(); i++) {
            Element r = (Element) rects.item(i);
            (r.getAttribute("class").equals("pull") ? pulls : r.getAttribute("class").equals("run") ? runs
                    : new ArrayList<Element>()).add(r);
        }
        // the python image over loopback and the 20 ms link, five modes each
        assertEquals(10, pulls.size());
        assertEquals(10, runs.size());
        String text = doc.getDocumentElement().getTextContent();
        for (String label : List.of("python, loopback", "python, 20ms-200mbit", "legacy", "lazy-opt",
                "ref-lazy-opt", "legacy pull 3.93 s")) {
            assertTrue(text.contains(label), label + " in " + text);
        }
        // bars share one scale: widths in proportion to the medians (legacy and lazy-noopt over loopback)
        double pull0 = Double.parseDouble(pulls.get(0).getAttribute("width"));
        double run0 = Double.parseDouble(runs.get(0).getAttribute("width"));
        double pull1 = Double.parseDouble(pulls.get(1).getAttribute("width"));
        assertEquals(3.932291689 / 0.705683158, pull0 / run0, 0.01);
        assertEquals(3.932291689 / 0.606493306, pull0 / pull1, 0.02);
    }
}
