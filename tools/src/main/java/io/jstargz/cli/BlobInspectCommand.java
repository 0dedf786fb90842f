package io.jstargz.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.estargz.Entry;
import io.jstargz.estargz.EntryType;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jstargz blob inspect FILE}: what the footer and TOC say. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a blob's footer, TOC, entry counts, landmarks, prefetch range and entries.")
final class BlobInspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "An eStargz or stargz blob.")
    Path file;

    @CommandLine.Mixin
    TocFileOption toc;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        LayerIndex index;
        try (FileBlobSource src = FileBlobSource.open(file)) {
            index = EstargzReader.open(src, toc.apply(OpenOptions.defaults(file.toString())));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().writeValueAsString(describe(index)));
            return 0;
        }
        out.printf("format     %s (%d-byte footer)%n", index.format().name(), index.format().footerSize());
        out.printf("blob       %d bytes%n", index.blobSize());
        out.printf("toc        offset %d, %d bytes compressed, %s%n", index.tocOffset(), index.tocSize(),
                index.tocDigest());
        List<String> counts = new ArrayList<>();
        index.countByType().forEach((t, n) -> counts.add(t.tocName() + " " + n));
        out.printf("entries    %d (%s)%n", index.entryCount(), String.join(", ", counts));
        out.printf("landmark   %s%n", landmark(index));
        out.printf("prefetch   %s%n", index.prefetchEnd().isPresent()
                ? "[0, " + index.prefetchEnd().getAsLong() + ")" : "none");
        out.println();
        out.printf("%-7s %6s %11s %10s %6s  %s%n", "TYPE", "MODE", "UID:GID", "SIZE", "CHUNKS", "PATH");
        index.walk((path, e) -> out.printf("%-7s %6s %11s %10d %6d  %s%s%n", e.type().tocName(),
                String.format("%04o", e.mode()), e.uid() + ":" + e.gid(), e.size(), e.chunkCount(), path,
                e.type() == EntryType.SYMLINK ? " -> " + e.linkName()
                        : !e.path().equals(path) ? " (hardlink to " + e.path() + ")" : ""));
        return 0;
    }

    private static String landmark(LayerIndex index) {
        return switch (index.landmark()) {
            case PREFETCH -> "prefetch (.prefetch.landmark)";
            case NO_PREFETCH -> "no prefetch (.no.prefetch.landmark)";
            case NONE -> "none";
        };
    }

    private static Map<String, Object> describe(LayerIndex index) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", index.format().name());
        m.put("size", index.blobSize());
        m.put("tocOffset", index.tocOffset());
        m.put("tocSize", index.tocSize());
        m.put("tocDigest", index.tocDigest());
        m.put("entryCount", index.entryCount());
        Map<String, Integer> counts = new LinkedHashMap<>();
        index.countByType().forEach((t, n) -> counts.put(t.tocName(), n));
        m.put("counts", counts);
        m.put("landmark", index.landmark().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        m.put("prefetchEnd", index.prefetchEnd().isPresent() ? index.prefetchEnd().getAsLong() : null);
        List<Map<String, Object>> entries = new ArrayList<>();
        index.walk((path, e) -> entries.add(entry(path, e)));
        m.put("entries", entries);
        return m;
    }

    private static Map<String, Object> entry(String path, Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path);
        m.put("type", e.type().tocName());
        m.put("inode", e.inode());
        m.put("mode", e.mode());
        m.put("uid", e.uid());
        m.put("gid", e.gid());
        m.put("size", e.size());
        m.put("modTime", e.modTime().toString());
        m.put("numLink", e.numLink());
        if (!e.linkName().isEmpty()) {
            m.put("linkName", e.linkName());
        }
        if (!e.path().equals(path)) {
            m.put("hardlinkTo", e.path());
        }
        if (e.type() == EntryType.CHAR || e.type() == EntryType.BLOCK) {
            m.put("devMajor", e.devMajor());
            m.put("devMinor", e.devMinor());
        }
        if (!e.xattrNames().isEmpty()) {
            m.put("xattrs", List.copyOf(e.xattrNames()));
        }
        if (e.isRegular()) {
            m.put("digest", e.digest());
            m.put("chunks", e.chunks().size());
        }
        return m;
    }
}
