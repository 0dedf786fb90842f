package io.jstargz.cli;

import io.jstargz.estargz.OpenOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --toc FILE}: the TOC of a blob whose TOC is external, as {@code blob convert --external-toc} wrote it. */
final class TocFileOption {

    @Option(names = "--toc", paramLabel = "FILE", description = "The blob's external TOC (a blob converted with "
            + "--external-toc has it in OUT.toc).")
    Path toc;

    /** {@code options}, with the TOC file as the external TOC when one was given. */
    OpenOptions apply(OpenOptions options) {
        if (toc == null) {
            return options;
        }
        return options.withExternalToc(maxSize -> {
            long size = Files.size(toc);
            if (size > maxSize) {
                throw new IOException(toc + " is " + size + " bytes, over the TOC limit of " + maxSize);
            }
            return Files.readAllBytes(toc);
        });
    }
}
