#!/usr/bin/env bash
# Installs what jstargz needs, from Debian packages only, when it is missing. Safe to run again: it installs nothing
# when everything is present.
#   scripts/setup.sh build   to build the jar and run the daemon (make build): the JDKs, Maven, FUSE
#   scripts/setup.sh [all]   also what the tests, make run and the benchmarks use: containerd 1.6 and 2.1, runc, a
#                            registry, skopeo, ctr-remote, go and the tools the scripts call (make test, run, bench)
set -euo pipefail

tier=${1:-all}
case "$tier" in
  build | all) ;;
  *) echo "usage: scripts/setup.sh [build|all]" >&2; exit 2 ;;
esac

# Debian packages and the command (or file) that shows each one is present: to build and run the daemon...
declare -A NEED=(
  [maven]=/usr/bin/mvn
  [fuse3]=/usr/bin/fusermount3
  [libfuse2]=/usr/lib/x86_64-linux-gnu/libfuse.so.2
  [libdeflate0]=/usr/lib/x86_64-linux-gnu/libdeflate.so.0
  [kmod]=/usr/sbin/modprobe
  [util-linux]=/usr/bin/mountpoint
  [procps]=/usr/bin/pgrep
)
# ...and to test it, run the demo and the benchmarks, and build its container image.
if [ "$tier" = all ]; then
  NEED+=(
    [containerd]=/usr/bin/containerd
    [runc]=/usr/sbin/runc
    [docker-registry]=/usr/bin/docker-registry
    [skopeo]=/usr/bin/skopeo
    [stargz-snapshotter]=/usr/bin/ctr-remote
    [busybox-static]=/bin/busybox
    [apache2-utils]=/usr/bin/htpasswd
    [sqlite3]=/usr/bin/sqlite3
    [jq]=/usr/bin/jq
    [golang-go]=/usr/bin/go
    [golang-github-containerd-stargz-snapshotter-dev]=/usr/share/gocode/src/github.com/containerd/stargz-snapshotter/estargz/estargz.go
    [umoci]=/usr/bin/umoci
    [debootstrap]=/usr/sbin/debootstrap
    [iproute2]=/usr/sbin/ip
    [time]=/usr/bin/time
    [curl]=/usr/bin/curl
    [fio]=/usr/bin/fio
  )
fi

# On arm64 the library paths differ; accept either.
library_present() { ls /usr/lib/*/"$1" >/dev/null 2>&1; }

# The launcher prefers the newest JDK; the build needs one of at least 17.
jdk_present() {
  local j
  for j in /usr/lib/jvm/*/bin/javac ${JAVA_HOME:+$JAVA_HOME/bin/javac} $(command -v javac 2>/dev/null); do
    [ -x "$j" ] || continue
    local v
    v=$("$j" -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')
    [ "${v:-0}" -ge 17 ] 2>/dev/null && return 0
  done
  return 1
}

missing=()
for pkg in "${!NEED[@]}"; do
  case "$pkg" in
    libfuse2 | libdeflate0) library_present "$(basename "${NEED[$pkg]}")" || missing+=("$pkg"); continue ;;
  esac
  [ -e "${NEED[$pkg]}" ] || missing+=("$pkg")
done
jdk_present || missing+=(openjdk-17-jdk-headless)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "jstargz setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    echo "  run: sudo apt-get install -y ${missing[*]}   (or run 'make' as root)" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "jstargz setup: apt-get not found; install these packages by hand: ${missing[*]}" >&2
    exit 1
  fi
  echo "jstargz setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# FUSE needs the kernel module and the device node.
if [ ! -c /dev/fuse ]; then
  modprobe fuse 2>/dev/null || true
  if [ ! -c /dev/fuse ]; then
    echo "jstargz setup: /dev/fuse is missing and 'modprobe fuse' did not create it; FUSE mounts cannot work here" >&2
    exit 1
  fi
fi

# The kernel FUSE binding (FFM API) is compiled, and the fuse-fs tests run, with a JDK 25 that Maven's toolchains
# plugin finds (in /usr/lib/jvm, or named by JAVA_HOME or JAVA25_HOME); Debian 12 packages none, so it is not installed
# here.
jdk25_present() {
  local j v
  for j in /usr/lib/jvm/*/bin/javac ${JAVA_HOME:+$JAVA_HOME/bin/javac} ${JAVA25_HOME:+$JAVA25_HOME/bin/javac}; do
    [ -x "$j" ] || continue
    v=$("$j" -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')
    [ "${v:-0}" -ge 25 ] 2>/dev/null && return 0
  done
  return 1
}
if ! jdk25_present; then
  echo "jstargz setup: the build needs a JDK 25 or later (e.g. Temurin 25 in /usr/lib/jvm) for the kernel FUSE binding" >&2
  exit 1
fi

[ "$tier" = all ] || exit 0

# overlayfs is what containerd stacks the layers with.
if ! grep -qw overlay /proc/filesystems; then
  modprobe overlay 2>/dev/null || true
  grep -qw overlay /proc/filesystems || { echo "jstargz setup: the kernel has no overlay filesystem" >&2; exit 1; }
fi

# containerd 2.x for the end-to-end tests and the benchmark, beside the system's containerd (never over it): Debian
# sid's package, fetched with apt through a sources list of its own and unpacked into a private directory. Its
# binaries need only libc and runc. CONTAINERD2_VERSION pins the version; when sid has moved past it, the newest
# 2.1.x sid has is taken.
CONTAINERD2_VERSION=${CONTAINERD2_VERSION:-2.1.9+ds1-5}
CONTAINERD2_DIR=${CONTAINERD2_DIR:-/opt/jstargz-test/containerd-2.1}
fetch_containerd2() {
  local work apt version
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" \
    > "$work/sid.list"
  apt=(-o "Dir::Etc::sourcelist=$work/sid.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$work/lists"
       -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
  apt-get "${apt[@]}" update -q >/dev/null
  version=$CONTAINERD2_VERSION
  if ! apt-cache "${apt[@]}" madison containerd | awk '{print $3}' | grep -qxF "$version"; then
    version=$(apt-cache "${apt[@]}" madison containerd | awk '$3 ~ /^2\.1\./ {print $3; exit}')
    if [ -z "$version" ]; then
      echo "jstargz setup: Debian sid has neither containerd $CONTAINERD2_VERSION nor another 2.1.x" >&2
      return 1
    fi
    echo "jstargz setup: containerd $CONTAINERD2_VERSION is gone from sid; taking $version"
  fi
  (cd "$work" && apt-get "${apt[@]}" download -q "containerd=$version" >/dev/null)
  rm -rf "$CONTAINERD2_DIR"
  mkdir -p "$CONTAINERD2_DIR"
  dpkg-deb -x "$work"/containerd_*.deb "$CONTAINERD2_DIR"
  echo "$version" > "$CONTAINERD2_DIR/VERSION"
  echo "jstargz setup: containerd $version in $CONTAINERD2_DIR"
}
if [ ! -x "$CONTAINERD2_DIR/usr/bin/containerd" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "jstargz setup: containerd 2.1 for the tests is missing and fetching it needs root: run 'make' as root" >&2
    exit 1
  fi
  fetch_containerd2
fi
