package io.jstargz.estargz;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** The TOC's {@code modtime} (RFC 3339) as seconds since the epoch, as the reference reads it. */
final class ModTimes {

    private ModTimes() {
    }

    /** Seconds since the epoch; 0 for an empty or unparsable time (the reference ignores those too). */
    static long seconds(CharSequence rfc3339) {
        if (rfc3339.length() == 0) {
            return 0;
        }
        long utc = parseUtcSeconds(rfc3339);
        if (utc != Long.MIN_VALUE) {
            return utc;
        }
        try {
            return OffsetDateTime.parse(rfc3339, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toEpochSecond();
        } catch (DateTimeParseException e) {
            // the reference ignores an unparsable time and uses zero, so a layer is not rejected for it
            return 0;
        }
    }

    /**
     * {@code YYYY-MM-DDTHH:MM:SSZ}, the form writers use (Go's {@code time.RFC3339} of a UTC time), without the
     * general parser, which costs more than the rest of an entry; {@link Long#MIN_VALUE} for any other form.
     */
    private static long parseUtcSeconds(CharSequence s) {
        if (s.length() != 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':' || s.charAt(19) != 'Z') {
            return Long.MIN_VALUE;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)
                || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return Long.MIN_VALUE;
        }
        return epochDay(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second;
    }

    private static int daysInMonth(int year, int month) {
        if (month == 2) {
            return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28;
        }
        return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
    }

    /**
     * Days from 1970-01-01 to a proleptic Gregorian date (years from 0), by counting in 400-year eras that start in
     * March, so February's length only matters at an era's end; {@link java.time.LocalDate} costs an object and its
     * checks per entry.
     */
    private static long epochDay(int year, int month, int day) {
        int y = month <= 2 ? year - 1 : year;
        int era = Math.floorDiv(y, 400);
        int yearOfEra = y - era * 400;
        int dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097L + dayOfEra - 719_468;
    }

    /** The decimal number of {@code n} digits at {@code from}, or -1 if they are not all digits. */
    private static int digits(CharSequence s, int from, int n) {
        int v = 0;
        for (int i = from; i < from + n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
