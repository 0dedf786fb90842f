package io.jstargz.estargz;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes the TOC JSON byte for byte as the reference does ({@code json.MarshalIndent(toc, "", "\t")} of its
 * {@code JTOC}): same field order, {@code omitempty} rules, escaping and indentation.
 */
public final class TocJsonWriter {

    private TocJsonWriter() {
    }

    /** The JSON of a TOC with {@code "version": 1}. */
    public static byte[] write(List<TocEntry> entries) {
        ByteBuf out = new ByteBuf(256 + entries.size() * 320);
        out.ascii("{\n\t\"version\": 1,\n\t\"entries\": ");
        if (entries.isEmpty()) {
            out.ascii("[]");
        } else {
            out.ascii("[\n");
            for (int i = 0; i < entries.size(); i++) {
                writeEntry(out, entries.get(i));
                out.ascii(i + 1 < entries.size() ? ",\n" : "\n");
            }
            out.ascii("\t]");
        }
        out.ascii("\n}");
        return out.toByteArray();
    }

    private static void writeEntry(ByteBuf out, TocEntry e) {
        Fields f = new Fields(out);
        out.ascii("\t\t{");
        f.string("name", e.name(), false);
        f.string("type", e.type(), false);
        f.number("size", e.size());
        f.string("modtime", e.modtime(), true);
        f.string("linkName", e.linkName(), true);
        f.number("mode", e.mode());
        f.number("uid", e.uid());
        f.number("gid", e.gid());
        f.string("userName", e.userName(), true);
        f.string("groupName", e.groupName(), true);
        f.number("offset", e.offset());
        f.number("innerOffset", e.innerOffset());
        f.number("devMajor", e.devMajor());
        f.number("devMinor", e.devMinor());
        if (!e.xattrs().isEmpty()) {
            f.key("xattrs");
            out.ascii("{");
            List<Map.Entry<String, byte[]>> attrs = new ArrayList<>(e.xattrs().entrySet());
            attrs.sort(Map.Entry.comparingByKey(GoStrings.BYTE_ORDER));
            for (int i = 0; i < attrs.size(); i++) {
                out.ascii(i == 0 ? "\n\t\t\t\t" : ",\n\t\t\t\t");
                GoStrings.appendJson(out, attrs.get(i).getKey());
                out.ascii(": \"").ascii(Base64.getEncoder().encodeToString(attrs.get(i).getValue())).ascii("\"");
            }
            out.ascii("\n\t\t\t}");
        }
        f.string("digest", e.digest(), true);
        f.number("chunkOffset", e.chunkOffset());
        f.number("chunkSize", e.chunkSize());
        f.string("chunkDigest", e.chunkDigest(), true);
        out.ascii("\n\t\t}");
    }

    /** Writes the fields of one object, with the separators MarshalIndent puts between them. */
    private static final class Fields {
        private final ByteBuf out;
        private boolean first = true;

        Fields(ByteBuf out) {
            this.out = out;
        }

        void key(String name) {
            out.ascii(first ? "\n\t\t\t\"" : ",\n\t\t\t\"").ascii(name).ascii("\": ");
            first = false;
        }

        void string(String name, String value, boolean omitEmpty) {
            if (omitEmpty && value.isEmpty()) {
                return;
            }
            key(name);
            GoStrings.appendJson(out, value);
        }

        void number(String name, long value) {
            if (value != 0) {
                key(name);
                out.decimal(value);
            }
        }
    }
}
