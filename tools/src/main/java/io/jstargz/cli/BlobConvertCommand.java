package io.jstargz.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.ConvertResult;
import io.jstargz.estargz.LayerConverter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jstargz blob convert IN OUT}: a tar, tar.gz or tar.zst layer to an eStargz or zstd:chunked blob. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a layer (tar, tar.gz or tar.zst) into an eStargz (or zstd:chunked) blob, laid out as "
            + "the reference converter does.", "Prints one JSON object: tocDigest, diffID, blobDigest, size, "
            + "uncompressedSize, and the format's layer annotations (zstd:chunked's)."})
final class BlobConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "Layer to convert: tar, tar.gz or tar.zst.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Where to write the blob.")
    Path out;

    @CommandLine.Mixin
    FormatOptions format;

    @Option(names = "--prioritize", paramLabel = "PATH",
            description = "A file to put first (prefetched); repeat for more, in order.")
    List<String> prioritized = new ArrayList<>();

    @Option(names = "--prioritize-list", paramLabel = "FILE",
            description = "A file listing paths to prioritize, one per line (after any --prioritize).")
    Path prioritizeList;

    @Option(names = "--threads", paramLabel = "N", converter = PositiveInt.class,
            description = "Threads compressing in parallel. Default: all cores.")
    int threads = Runtime.getRuntime().availableProcessors();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<String> paths = new ArrayList<>(prioritized);
        if (prioritizeList != null) {
            for (String line : Files.readAllLines(prioritizeList)) {
                if (!line.isBlank()) {
                    paths.add(line.strip());
                }
            }
        }
        ConvertOptions options;
        try {
            options = format.apply(ConvertOptions.defaults()).withPrioritizedFiles(paths).withParallelism(threads);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Path target = out.toAbsolutePath();
        // written beside OUT and moved over it, so OUT is never half written; created as any new file is (mode
        // 0666 less the umask: createTempFile's 0600 would stay on OUT), and named in no message: OUT is
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        ConvertResult result;
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), 1 << 20)) {
                result = new LayerConverter(options.withTempDir(target.getParent())).convert(in, os);
            }
            if (result.externalToc() != null) {
                Files.write(tocFile(target), result.externalToc());
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileSystemException e) {
            if (!tmp.toString().equals(e.getFile())) {
                throw e;
            }
            throw new IOException("cannot write " + target + ": " + (e instanceof NoSuchFileException
                    ? "its directory does not exist" : e instanceof AccessDeniedException ? "permission denied"
                    : e.getReason()), e);
        } finally {
            Files.deleteIfExists(tmp);
        }
        for (String missed : result.missedPrioritizedFiles()) {
            spec.commandLine().getErr().println("jstargz: warning: not prioritized (it or a parent directory has no "
                    + "entry in the layer): " + missed);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("tocDigest", result.tocDigest());
        json.put("diffID", result.diffId());
        json.put("blobDigest", result.blobDigest());
        json.put("size", result.size());
        json.put("uncompressedSize", result.uncompressedSize());
        if (result.externalToc() != null) {
            json.put("externalToc", tocFile(target).toString());
        }
        if (!result.formatAnnotations().isEmpty()) {
            json.put("annotations", new java.util.TreeMap<>(result.formatAnnotations()));
        }
        spec.commandLine().getOut().println(new ObjectMapper().writeValueAsString(json));
        return 0;
    }

    /** Where an external TOC is written: beside the blob, {@code OUT.toc}. */
    private static Path tocFile(Path blob) {
        return blob.resolveSibling(blob.getFileName() + ".toc");
    }

    /** Sizes as {@link io.jstargz.text.Sizes#parse} reads them: {@code 0}, {@code 65536}, {@code 64K}, {@code 4M}. */
    static final class Sizes implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            long n;
            try {
                n = io.jstargz.text.Sizes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
            if (n > Integer.MAX_VALUE) {
                throw new CommandLine.TypeConversionException("size out of range: " + value);
            }
            return (int) n;
        }
    }
}
