#!/usr/bin/env bash
# Builds jstargz's container image (for the DaemonSet in dist/kubernetes/) as an OCI image layout, with umoci as
# bench/images/build.sh does, from Debian packages and the jar only: nothing comes from a container registry.
#
#   scripts/image.sh [LAYOUT]     default tools/target/image; tag jstargz:VERSION, also written as LAYOUT.tar
#
# Two layers: Debian (debootstrap --variant=minbase of this host's release) with a Java runtime and the FUSE
# libraries, then what `make install` puts in /usr: the launcher, the jar, the example config. The first is kept in
# /var/cache/jstargz/image-base (JSTARGZ_IMAGE_CACHE) and built again only when its package list changes.
# JSTARGZ_MIRROR overrides the Debian mirror. Needs root (debootstrap, chroot).
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$repo"

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/image.sh: needs root (debootstrap, chroot)" >&2
  exit 1
fi
layout="$(realpath -m "${1:-tools/target/image}")"
jar=tools/target/jstargz.jar
[ -f "$jar" ] || { echo "scripts/image.sh: $jar is missing; run 'make build' first" >&2; exit 1; }
version="$(sed -n 's|^  <version>\(.*\)</version>|\1|p' pom.xml | head -n1)"
suite="$(. /etc/os-release && echo "$VERSION_CODENAME")"
packages=(openjdk-17-jre-headless libfuse2 fuse3 ca-certificates)
cache="${JSTARGZ_IMAGE_CACHE:-/var/cache/jstargz/image-base}"
key="$suite ${packages[*]}"
path_env="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

work="$(mktemp -d /var/tmp/jstargz-image-XXXXXX)"
mounted=()
cleanup() {
  local m
  for m in "${mounted[@]}"; do umount -l "$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Debian with the runtime packages, as an image layout of one layer (tag base), unless the cache has it.
build_base() {
  if [ -f "$cache/key" ] && [ "$(cat "$cache/key")" = "$key" ]; then
    return
  fi
  echo "scripts/image.sh: building the Debian $suite base with ${packages[*]} (once; kept in $cache)" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  local bundle="$work/base" r="$work/base/rootfs"
  umoci init --layout "$cache/layout"
  umoci new --image "$cache/layout:base"
  umoci unpack --image "$cache/layout:base" "$bundle"
  local mirror
  mirror="$(DEBIAN_MIRROR="${JSTARGZ_MIRROR:-}" scripts/debian-mirror.sh "$suite")"
  debootstrap --variant=minbase "$suite" "$r" "$mirror" > "$work/debootstrap.log"
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  mount -t proc proc "$r/proc"
  mounted=("$r/proc")
  mount --bind /dev "$r/dev"
  mounted+=("$r/dev")
  chroot "$r" env DEBIAN_FRONTEND=noninteractive "$path_env" sh -c \
    'apt-get update -q && apt-get install -y -q --no-install-recommends "$@" && apt-get clean' sh "${packages[@]}" \
    > "$work/apt.log" 2>&1
  umount "$r/dev" "$r/proc"
  mounted=()
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/debconf/*-old "$r"/var/log/* \
    "$r"/dev/* "$r"/tmp/* "$r"/var/tmp/*
  : > "$r/etc/resolv.conf"
  umoci repack --image "$cache/layout:base" "$bundle"
  umoci gc --layout "$cache/layout"
  echo "$key" > "$cache/key"
}

build_base
rm -rf "$layout" "$layout.tar"
mkdir -p "$(dirname "$layout")"
cp -a "$cache/layout" "$layout"
tag="jstargz:$version"
umoci tag --image "$layout:base" "$tag"
umoci rm --image "$layout:base"
bundle="$work/jstargz"
umoci unpack --image "$layout:$tag" "$bundle"
make -s install DESTDIR="$bundle/rootfs" PREFIX=/usr >/dev/null
umoci repack --image "$layout:$tag" "$bundle"
umoci config --image "$layout:$tag" --config.env "$path_env" \
  --config.entrypoint /usr/bin/jstargz --config.cmd serve \
  --config.label "org.opencontainers.image.title=jstargz" --config.label "org.opencontainers.image.version=$version"
umoci gc --layout "$layout"
tar -C "$layout" -cf "$layout.tar" .
echo "scripts/image.sh: $layout:$tag (and $layout.tar)"
