#!/usr/bin/env bash
# Prints the first mirror of Debian suite $1's main archive in apt's sources (deb822 .sources or one-line .list
# files), or $DEBIAN_MIRROR when it is set; used to debootstrap images from the mirror apt already uses.
set -euo pipefail
suite="$1"
if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; exit 0; fi
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  awk -v s="$suite" '$1 == "deb" && $0 !~ /security/ {
      for (i = 2; i <= NF; i++) if ($i == s) { print $(i - 1); exit }
    }' "$f" | grep -m1 . && exit 0
done
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" } {
      uri = ""; ok = 0
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^URIs:/) { split($i, u, " "); uri = u[2] }
        if ($i ~ /^Suites:/) { n = split($i, w, " "); for (j = 2; j <= n; j++) if (w[j] == s) ok = 1 }
      }
      if (ok && uri !~ /security/) { print uri; exit }
    }' "$f" | grep -m1 . && exit 0
done
echo "no Debian mirror for $suite in /etc/apt/sources.list*; set DEBIAN_MIRROR" >&2
exit 1
