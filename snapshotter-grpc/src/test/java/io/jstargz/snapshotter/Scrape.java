package io.jstargz.snapshotter;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** One scrape of a Prometheus text endpoint: each series ({@code name{labels}}) and its value. */
record Scrape(Map<String, Double> series, String text) {

    static Scrape of(String url) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> series = new LinkedHashMap<>();
        body.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).forEach(l -> {
            int space = l.lastIndexOf(' ');
            series.put(l.substring(0, space), Double.parseDouble(l.substring(space + 1)));
        });
        return new Scrape(series, body);
    }

    /** The value of {@code series}; fails naming the scrape when it is missing. */
    double value(String series) {
        Double v = this.series.get(series);
        if (v == null) {
            throw new AssertionError(series + " is not in the scrape:\n" + text);
        }
        return v;
    }

    /** The metric names (series without their labels). */
    Set<String> names() {
        Set<String> out = new TreeSet<>();
        series.keySet().forEach(s -> out.add(s.replaceAll("\\{.*", "")));
        return out;
    }
}
