package io.jstargz.snapshotter.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Parser for containerd's filter grammar:
 * <pre>
 * selectors := selector ("," selector)*
 * selector  := fieldpath (operator value)?
 * fieldpath := field ("." field)*
 * field     := quoted | [A-Za-z0-9_]+
 * operator  := "==" | "!=" | "~="
 * value     := quoted | [^\s,]+
 * quoted    := Go string syntax in "..."; for "~=" values also /.../ and |...|
 * </pre>
 */
final class FilterParser {
    private enum Type { EOF, QUOTED, VALUE, FIELD, SEPARATOR, OPERATOR, ILLEGAL, OTHER }

    private record Token(Type type, int pos, String text) {
    }

    private static final int EOF = -1;

    private final String input;
    private int pos;
    private boolean valueNext;

    FilterParser(String input) {
        this.input = input;
    }

    Filter parse() throws FilterSyntaxException {
        List<Filter> all = new ArrayList<>();
        all.add(selector());
        while (true) {
            int ch = peek();
            if (ch == EOF) {
                break;
            }
            if (ch != ',') {
                throw error(pos, "unexpected input: " + (char) ch);
            }
            scan();
            all.add(selector());
        }
        return all.size() == 1 ? all.get(0) : fields -> all.stream().allMatch(f -> f.matches(fields));
    }

    private Filter selector() throws FilterSyntaxException {
        List<String> path = fieldPath();
        int ch = peek();
        if (ch == ',' || ch == EOF) {
            return new Selector(path, Selector.Operator.PRESENT, "", null);
        }
        Token op = scan();
        Selector.Operator operator;
        if (op.type() != Type.OPERATOR) {
            throw error(op.pos(), "expected an operator (\"==\"|\"!=\"|\"~=\")");
        }
        operator = switch (op.text()) {
            case "==" -> Selector.Operator.EQUAL;
            case "!=" -> Selector.Operator.NOT_EQUAL;
            case "~=" -> Selector.Operator.MATCHES;
            default -> throw error(op.pos(), "unsupported operator \"" + op.text() + "\"");
        };
        Token v = scan();
        String value = switch (v.type()) {
            case VALUE, FIELD -> v.text();
            case QUOTED -> unquote(v, operator == Selector.Operator.MATCHES);
            case ILLEGAL -> throw error(v.pos(), v.text());
            default -> throw error(v.pos(), "expected value or quoted");
        };
        Pattern regex = null;
        if (operator == Selector.Operator.MATCHES) {
            try {
                regex = Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                throw error(v.pos(), "invalid regular expression: " + e.getDescription());
            }
        }
        return new Selector(path, operator, value, regex);
    }

    private List<String> fieldPath() throws FilterSyntaxException {
        List<String> path = new ArrayList<>();
        path.add(field());
        while (peek() == '.') {
            scan();
            path.add(field());
        }
        return path;
    }

    private String field() throws FilterSyntaxException {
        Token t = scan();
        return switch (t.type()) {
            case FIELD -> t.text();
            case QUOTED -> unquote(t, false);
            case ILLEGAL -> throw error(t.pos(), t.text());
            default -> throw error(t.pos(), "expected field or quoted");
        };
    }

    private int peek() {
        return pos < input.length() ? input.charAt(pos) : EOF;
    }

    private Token scan() {
        while (pos < input.length() && Character.isWhitespace(input.charAt(pos))) {
            pos++;
        }
        int start = pos;
        if (pos >= input.length()) {
            return new Token(Type.EOF, start, "");
        }
        char ch = input.charAt(pos++);
        if (ch == '"' || ch == '/' || ch == '|') {
            return scanQuoted(start, ch);
        }
        if (ch == ',' || ch == '.') {
            valueNext = false;
            return new Token(Type.SEPARATOR, start, String.valueOf(ch));
        }
        if (ch == '=' || ch == '!' || ch == '~') {
            while (pos < input.length() && "=!~".indexOf(input.charAt(pos)) >= 0) {
                pos++;
            }
            valueNext = true;
            return new Token(Type.OPERATOR, start, input.substring(start, pos));
        }
        if (valueNext) {
            while (pos < input.length() && input.charAt(pos) != ',' && !Character.isWhitespace(input.charAt(pos))) {
                pos++;
            }
            valueNext = false;
            return new Token(Type.VALUE, start, input.substring(start, pos));
        }
        if (isFieldChar(ch)) {
            while (pos < input.length() && isFieldChar(input.charAt(pos))) {
                pos++;
            }
            return new Token(Type.FIELD, start, input.substring(start, pos));
        }
        return new Token(Type.OTHER, start, String.valueOf(ch));
    }

    private Token scanQuoted(int start, char quote) {
        while (pos < input.length()) {
            char c = input.charAt(pos++);
            if (c == quote) {
                return new Token(Type.QUOTED, start, input.substring(start, pos));
            }
            if (c == '\n') {
                break;
            }
            if (c == '\\' && pos < input.length()) {
                pos++;
            }
        }
        return new Token(Type.ILLEGAL, start, "quoted literal not terminated");
    }

    private static boolean isFieldChar(char c) {
        return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    /** Go string-literal unquoting; {@code /} and {@code |} delimit like {@code "} (for regular expressions). */
    private String unquote(Token t, boolean allowAltQuotes) throws FilterSyntaxException {
        String s = t.text();
        char quote = s.charAt(0);
        if (!allowAltQuotes && quote != '"') {
            throw error(t.pos(), "invalid quote encountered");
        }
        StringBuilder out = new StringBuilder();
        String body = s.substring(1, s.length() - 1);
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i >= body.length()) {
                throw error(t.pos(), "unquoting failed: quote syntax error");
            }
            char e = body.charAt(i);
            switch (e) {
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case '\\' -> out.append('\\');
                case 'x', 'u', 'U' -> {
                    int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + n >= body.length()) {
                        throw error(t.pos(), "unquoting failed: quote syntax error");
                    }
                    appendCode(out, body.substring(i + 1, i + 1 + n), 16, t);
                    i += n;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        if (i + 2 >= body.length()) {
                            throw error(t.pos(), "unquoting failed: quote syntax error");
                        }
                        appendCode(out, body.substring(i, i + 3), 8, t);
                        i += 2;
                    } else if (e == quote) {
                        out.append(e);
                    } else {
                        throw error(t.pos(), "unquoting failed: quote syntax error");
                    }
                }
            }
        }
        return out.toString();
    }

    private void appendCode(StringBuilder out, String digits, int radix, Token t) throws FilterSyntaxException {
        if (!digits.chars().allMatch(c -> Character.digit(c, radix) >= 0)) {
            throw error(t.pos(), "unquoting failed: quote syntax error");
        }
        try {
            out.appendCodePoint(Integer.parseInt(digits, radix));
        } catch (IllegalArgumentException e) {
            throw error(t.pos(), "unquoting failed: quote syntax error");
        }
    }

    private FilterSyntaxException error(int at, String message) {
        return new FilterSyntaxException(input, at, message);
    }
}
