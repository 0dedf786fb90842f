package io.jstargz.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jstargz shell-docs --completion FILE --man DIR}: the bash/zsh completion script (picocli's
 * {@link AutoComplete}) and the man pages ({@link ManPages}), for {@code make install}. Hidden: users get the results.
 */
@Command(name = "shell-docs", hidden = true, mixinStandardHelpOptions = true,
        description = "Write the bash/zsh completion script and the man pages (make install runs it).")
final class ShellDocsCommand implements Callable<Integer> {

    @Option(names = "--completion", paramLabel = "FILE", description = "Write the completion script there.")
    Path completion;

    @Option(names = "--man", paramLabel = "DIR", description = "Write the man pages (section 1) into DIR.")
    Path man;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        CommandLine root = spec.root().commandLine();
        if (completion == null && man == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --completion FILE, --man DIR or both");
        }
        if (completion != null) {
            Path parent = completion.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.writeString(completion, AutoComplete.bash(root.getCommandName(), root));
        }
        if (man != null) {
            spec.commandLine().getOut().printf("%d man pages in %s%n", ManPages.write(root, man).size(), man);
        }
        return 0;
    }
}
