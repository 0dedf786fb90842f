package io.jstargz.cli;

import picocli.CommandLine;

/**
 * Counts and durations that must be at least 1 ({@code --threads}, {@code --period}), refused while the command line
 * is parsed: picocli names the option, where the layers below could only name their own parameter.
 */
final class PositiveInt implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        int n;
        try {
            n = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a whole number");
        }
        if (n < 1) {
            throw new CommandLine.TypeConversionException("must be 1 or more, not " + n);
        }
        return n;
    }
}
