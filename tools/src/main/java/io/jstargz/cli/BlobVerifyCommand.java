package io.jstargz.cli;

import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.LayerVerifier;
import io.jstargz.estargz.OpenOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jstargz blob verify FILE}: read every file through chunk verification. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Read every regular file of a blob through chunk verification; exit non-zero at the first "
            + "failure.", "With --jsonl, print one JSON line per entry, in the shape of "
            + "testdata/estargz/*.entries.jsonl."})
final class BlobVerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "An eStargz or stargz blob.")
    Path file;

    @Option(names = "--toc-digest", paramLabel = "D", description = "The TOC digest the blob must have.")
    String tocDigest;

    @CommandLine.Mixin
    TocFileOption toc;

    @Option(names = "--jsonl", description = "List every entry as a JSON line.")
    boolean jsonl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (FileBlobSource src = FileBlobSource.open(file)) {
            LayerIndex index = EstargzReader.open(src,
                    toc.apply(OpenOptions.defaults(file.toString()).withExpectedTocDigest(tocDigest)));
            LayerVerifier.Summary summary = LayerVerifier.verify(src, index, jsonl ? out::println : null);
            if (!jsonl) {
                out.printf("ok: %d paths, %d files, %d bytes verified; TOC %s%n", summary.paths(), summary.files(),
                        summary.bytes(), index.tocDigest());
            }
        }
        return 0;
    }
}
