package io.jstargz.cli;

import io.jstargz.BuildInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Man pages (troff, section 1) for the command and each subcommand, written from picocli's model of them, so they say
 * what {@code --help} says. picocli's own {@code ManPageGenerator} writes AsciiDoc, which needs asciidoctor to become
 * a page {@code man} reads; this renders the few troff requests a command page needs directly.
 */
final class ManPages {
    private ManPages() {
    }

    /** Writes {@code jstargz.1}, {@code jstargz-image.1}, {@code jstargz-image-convert.1}... into {@code dir}. */
    static List<Path> write(CommandLine root, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        write(root, dir, written);
        return written;
    }

    private static void write(CommandLine cmd, Path dir, List<Path> written) throws IOException {
        CommandSpec spec = cmd.getCommandSpec();
        if (spec.usageMessage().hidden()) {
            return;
        }
        Path page = dir.resolve(pageName(spec) + ".1");
        Files.writeString(page, render(spec));
        written.add(page);
        for (CommandLine sub : cmd.getSubcommands().values()) {
            write(sub, dir, written);
        }
    }

    /** {@code jstargz-image-convert} for {@code jstargz image convert}. */
    static String pageName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    static String render(CommandSpec spec) {
        StringBuilder out = new StringBuilder();
        String name = pageName(spec);
        String[] description = spec.usageMessage().description();
        out.append(".TH ").append(name.toUpperCase(Locale.ROOT)).append(" 1 \"\" \"jstargz ")
                .append(BuildInfo.current().version()).append("\" \"jstargz manual\"\n");
        out.append(".SH NAME\n").append(escape(name)).append(" \\- ")
                .append(escape(description.length == 0 ? "" : firstSentence(description[0]))).append('\n');
        out.append(".SH SYNOPSIS\n.nf\n")
                .append(escape(spec.commandLine().getHelp().synopsis(0).strip())).append("\n.fi\n");
        out.append(".SH DESCRIPTION\n");
        for (String paragraph : description) {
            out.append(".PP\n").append(escape(paragraph)).append('\n');
        }
        List<PositionalParamSpec> params = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!params.isEmpty()) {
            out.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : params) {
                out.append(".TP\n\\fI").append(escape(p.paramLabel())).append("\\fR\n")
                        .append(escape(String.join(" ", p.description()))).append('\n');
            }
        }
        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        if (!options.isEmpty()) {
            out.append(".SH OPTIONS\n");
            for (OptionSpec o : options) {
                out.append(".TP\n\\fB").append(escape(String.join(", ", o.names()))).append("\\fR");
                if (o.arity().max() > 0) {
                    out.append("=\\fI").append(escape(o.paramLabel())).append("\\fR");
                }
                out.append('\n').append(escape(String.join(" ", o.description()))).append('\n');
            }
        }
        List<CommandLine> subs = spec.subcommands().values().stream()
                .filter(s -> !s.getCommandSpec().usageMessage().hidden()).distinct().toList();
        if (!subs.isEmpty()) {
            out.append(".SH COMMANDS\n");
            for (CommandLine s : subs) {
                String[] d = s.getCommandSpec().usageMessage().description();
                out.append(".TP\n\\fB").append(escape(s.getCommandName())).append("\\fR\n")
                        .append(escape(d.length == 0 ? "" : firstSentence(d[0]))).append(" See \\fB")
                        .append(escape(pageName(s.getCommandSpec()))).append("\\fR(1).\n");
            }
        }
        CommandSpec parent = spec.parent();
        if (parent != null) {
            out.append(".SH SEE ALSO\n\\fB").append(escape(pageName(parent))).append("\\fR(1)\n");
        }
        return out.toString();
    }

    private static String firstSentence(String text) {
        int end = text.indexOf(". ");
        return end < 0 ? text.replaceAll("\\.$", "") : text.substring(0, end);
    }

    /** Text as troff shows it: backslashes and hyphens escaped, no line starting with a control character. */
    private static String escape(String text) {
        String s = text.replace("\\", "\\e").replace("-", "\\-");
        return s.lines().map(l -> l.startsWith(".") || l.startsWith("'") ? "\\&" + l : l)
                .reduce((a, b) -> a + "\n" + b).orElse("");
    }
}
