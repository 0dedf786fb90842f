#!/usr/bin/env bash
# Builds the benchmark's images as OCI image layouts with gzip layers (umoci computes each layer as the diff of a
# root filesystem against the layers below), from local Debian packages and the Debian mirror apt already uses;
# nothing is downloaded from a container registry.
#
#   build.sh busybox LAYOUT WORK   tag busybox: one layer, Debian's busybox-static with its applet symlinks
#   build.sh base LAYOUT WORK      tag base: debootstrap --variant=minbase of this host's release (one layer)
#   build.sh python LAYOUT WORK    tag python: base + python3 + /app (three layers); needs tag base
#   build.sh jdk LAYOUT WORK       tag jdk: base + default-jdk-headless + /app (three layers); needs tag base
#   build.sh app LAYOUT WORK       tag app: base + python3 and python3-yaml + /app (three layers); needs tag base.
#                                  Its second layer is another blob than python's, holding mostly the same files.
#
# File modification times are kept as installed: Python checks its .pyc caches against them, so images with
# flattened mtimes would recompile modules at run time. BENCH_MIRROR overrides the Debian mirror.
set -euo pipefail

PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
what="$1" layout="$2" work="$3"
mkdir -p "$work"
bundle="$work/bundle-$what"
mounted=()
cleanup() {
  local m
  for m in "${mounted[@]}"; do umount -l "$m" || true; done
  rm -rf "$bundle"
}
trap cleanup EXIT

# The Debian mirror apt already uses for suite $1.
debian_mirror() {
  local here
  here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
  DEBIAN_MIRROR="${BENCH_MIRROR:-}" "$here/../../scripts/debian-mirror.sh" "$1"
}

# Removes what Debian's own container images leave out: package lists, caches, logs, device nodes.
clean_rootfs() {
  local r="$1"
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
    "$r"/var/cache/debconf/*-old "$r"/var/log/* "$r"/dev/* "$r"/tmp/* "$r"/var/tmp/*
  : > "$r/etc/resolv.conf"
}

# apt-get install inside the root filesystem, with /proc and /dev mounted for the maintainer scripts.
chroot_install() {
  local r="$1"
  shift
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  mount -t proc proc "$r/proc"
  mounted=("$r/proc")
  mount --bind /dev "$r/dev"
  mounted+=("$r/dev")
  chroot "$r" env DEBIAN_FRONTEND=noninteractive "$PATH_ENV" sh -c \
    'apt-get update -q && apt-get install -y -q --no-install-recommends "$@" && apt-get clean' sh "$@"
  umount "$r/dev" "$r/proc"
  mounted=()
  clean_rootfs "$r"
}

# Marks the parent directories of everything changed since $2 as changed too, so that the layer umoci writes has an
# entry for each parent directory of its files, as docker-built layers have (the reference's eStargz optimizer
# rejects layers without them).
include_parents() {
  local r="$1" stamp="$2"
  find "$r" -mindepth 1 -cnewer "$stamp" -printf '%P\n' \
    | awk -F/ '{ p = $1; for (i = 2; i <= NF; i++) { print p; p = p "/" $i } }' | sort -u \
    | (cd "$r" && xargs -r -d '\n' touch -h -c --)
}

new_image() {
  [ -f "$layout/oci-layout" ] || umoci init --layout "$layout"
  umoci new --image "$layout:$1"
  umoci unpack --image "$layout:$1" "$bundle"
}

build_busybox() {
  new_image busybox
  local r="$bundle/rootfs" applet
  mkdir -p "$r/bin" "$r/etc" "$r/root" "$r/tmp" "$r/proc" "$r/sys" "$r/dev"
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$r/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
  umoci repack --image "$layout:busybox" "$bundle"
  umoci config --image "$layout:busybox" --config.env "$PATH_ENV" --config.cmd sh
}

build_base() {
  local suite
  suite="$(. /etc/os-release && echo "$VERSION_CODENAME")"
  new_image base
  debootstrap --variant=minbase "$suite" "$bundle/rootfs" "$(debian_mirror "$suite")" > "$work/debootstrap.log"
  clean_rootfs "$bundle/rootfs"
  umoci repack --image "$layout:base" "$bundle"
  umoci config --image "$layout:base" --config.env "$PATH_ENV" --config.cmd bash
}

# base + packages (one layer) + the files under /app (one layer), tagged $1.
build_app() {
  local tag="$1" r="$bundle/rootfs"
  shift
  umoci unpack --image "$layout:base" "$bundle"
  touch "$work/stamp"
  chroot_install "$r" "$@"
  include_parents "$r" "$work/stamp"
  umoci repack --refresh-bundle --image "$layout:$tag" "$bundle"
  mkdir -p "$r/app"
  case "$tag" in
    python) printf 'import json, sqlite3\nprint(1)\n' > "$r/app/main.py" ;;
    app) printf 'import json, sqlite3, yaml\nprint(1)\n' > "$r/app/main.py" ;;
    jdk) cat > "$r/app/Hello.java" <<'EOF'
public class Hello {
    public static void main(String[] args) {
        System.out.println("hello from java");
    }
}
EOF
      ;;
  esac
  umoci repack --image "$layout:$tag" "$bundle"
  umoci config --image "$layout:$tag" --config.workingdir /app
}

case "$what" in
  busybox) build_busybox ;;
  base) build_base ;;
  python) build_app python python3 ;;
  jdk) build_app jdk default-jdk-headless ;;
  app) build_app app python3 python3-yaml ;;
  *) echo "build.sh: unknown image $what (busybox, base, python, jdk, app)" >&2; exit 2 ;;
esac
umoci gc --layout "$layout"
