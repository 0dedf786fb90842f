#!/usr/bin/env bash
# make run: the main job, end to end, in a temporary directory. Starts a registry on 127.0.0.1, containerd and
# `jstargz serve`; builds a sample image (busybox-static plus a data layer the container does not read) as gzip and
# as eStargz and pushes both; then pulls and runs it the normal way (containerd's overlayfs snapshotter) and the lazy
# way (ctr-remote rpull through jstargz), and prints how long pull and run took and how many bytes each fetched.
# Needs root (containerd, FUSE); scripts/setup.sh installs the Debian packages. Everything is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
jstargz="$repo/bin/jstargz"

if [ "$(id -u)" -ne 0 ]; then
  echo "make run: needs root (it starts containerd and mounts FUSE filesystems)" >&2
  exit 1
fi

work=$(mktemp -d /tmp/jstargz-run.XXXXXX)
chmod 711 "$work"
declare -A pid=()

stop() { # name: SIGTERM the process, then wait for it (up to 30 s) before SIGKILL
  local p=${pid[$1]:-}
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || return 0
  timeout 30 tail --pid="$p" -f /dev/null || kill -KILL "$p" 2>/dev/null || true
  unset "pid[$1]"
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  stop containerd
  stop jstargz
  stop registry
  # whatever containerd or jstargz left mounted under the work directory, deepest first
  awk -v w="$work" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  if [ "$code" -ne 0 ] && [ "$code" -ne 130 ] && [ -z "${KEEP:-}" ]; then
    for log in "$work"/*.log; do
      [ -f "$log" ] && { echo "--- last lines of $log"; tail -n 20 "$log"; } >&2
    done
  fi
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for FILE REGEX SECONDS: waits (inotify, via tail -F) until a line of FILE matches, or fails.
wait_for() {
  local found=0 fd tail_pid
  exec {fd}< <(exec timeout "$3" tail -n +1 -F "$1" 2>/dev/null)
  tail_pid=$!
  grep -q -m1 -E "$2" <&"$fd" || found=$?
  kill "$tail_pid" 2>/dev/null || true # still running when grep found the line first
  exec {fd}<&-
  if [ "$found" -ne 0 ]; then
    echo "make run: '$2' did not appear in $1 within $3 s" >&2
    exit 1
  fi
}

now_ms() { date +%s%3N; }

# --- the registry ------------------------------------------------------------------------------------------------
cat > "$work/registry.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: json
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:0
EOF
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
pid[registry]=$!
wait_for "$work/registry.log" 'listening on 127\.0\.0\.1:[0-9]+' 30
port=$(grep -o -m1 -E 'listening on 127\.0\.0\.1:[0-9]+' "$work/registry.log" | sed 's/.*://')
registry="127.0.0.1:$port"

# bytes the registry sent for blob GETs in its log lines after line $1
registry_bytes() {
  tail -n +"$(( $1 + 1 ))" "$work/registry.log" | grep '^{' |
    jq -s '[.[] | select(.msg == "response completed" and ."http.request.method" == "GET"
                         and (."http.request.uri" | contains("/blobs/"))) | ."http.response.written"] | add // 0'
}
log_mark() { wc -l < "$work/registry.log"; }

# --- the sample image --------------------------------------------------------------------------------------------
echo "building the sample image..."
base="$work/image/base"; data="$work/image/data"
mkdir -p "$base/bin" "$base/etc" "$base/tmp" "$base/proc" "$base/sys" "$base/dev" "$base/root" "$data/data"
cp /bin/busybox "$base/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$base/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$base/etc/passwd"
printf 'root:x:0:\n' > "$base/etc/group"
chmod 1777 "$base/tmp"
echo "hello from the sample image" > "$data/data/hello.txt"
for i in 1 2 3 4; do head -c $((8 << 20)) /dev/urandom > "$data/data/asset$i.bin"; done

layer_tar() { # DIR OUT: a reproducible tar of DIR's contents
  (cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | sort |
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$2" -T -)
}
layer_tar "$base" "$work/base.tar"
layer_tar "$data" "$work/data.tar"

sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
blob_put() { # REPO FILE: uploads a blob (monolithic) unless the registry has it
  local d; d=$(sha "$2")
  curl -fsS -o /dev/null -I "http://$registry/v2/$1/blobs/$d" 2>/dev/null && return 0
  local loc
  loc=$(curl -fsS -D - -o /dev/null -X POST "http://$registry/v2/$1/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc="http://$registry$loc" ;; esac
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$2" \
    "$loc$( [[ $loc == *\?* ]] && echo '&' || echo '?')digest=$d"
}
# push_image REPO TAG CMD-JSON LAYER... (each LAYER is FILE|DIFFID|ANNOTATIONS-JSON)
push_image() {
  local repo=$1 tag=$2 cmd=$3; shift 3
  local diffs="[]" layers="[]" spec file diff ann
  for spec in "$@"; do
    IFS='|' read -r file diff ann <<< "$spec"
    blob_put "$repo" "$file"
    diffs=$(jq -c --arg d "$diff" '. + [$d]' <<< "$diffs")
    layers=$(jq -c --arg d "$(sha "$file")" --argjson s "$(stat -c %s "$file")" --argjson a "$ann" \
      '. + [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d, size: $s}
            + (if $a == {} then {} else {annotations: $a} end)]' <<< "$layers")
  done
  jq -nc --argjson d "$diffs" --argjson c "$cmd" '{architecture: "amd64", os: "linux",
    config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: $c},
    rootfs: {type: "layers", diff_ids: $d}}' > "$work/config-$tag.json"
  blob_put "$repo" "$work/config-$tag.json"
  jq -nc --arg cd "$(sha "$work/config-$tag.json")" --argjson cs "$(stat -c %s "$work/config-$tag.json")" \
    --argjson l "$layers" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs}, layers: $l}' \
    > "$work/manifest-$tag.json"
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$work/manifest-$tag.json" "http://$registry/v2/$repo/manifests/$tag"
}

cmd='["sh", "-c", "cat /data/hello.txt; ls /data | wc -l"]'
gz_layers=()
for l in base data; do
  gzip -9n < "$work/$l.tar" > "$work/$l.tar.gz"
  gz_layers+=("$work/$l.tar.gz|$(sha "$work/$l.tar")|{}")
done
push_image sample gzip "$cmd" "${gz_layers[@]}"

es_layers=()
for l in base data; do
  prio=()
  [ "$l" = base ] && prio=(--prioritize bin/sh --prioritize bin/busybox --prioritize bin/cat --prioritize bin/ls)
  [ "$l" = data ] && prio=(--prioritize data/hello.txt)
  out=$("$jstargz" blob convert "$work/$l.tar" "$work/$l.esgz" "${prio[@]}")
  ann=$(jq -c '{"containerd.io/snapshot/stargz/toc.digest": .tocDigest,
                "io.containers.estargz.uncompressed-size": (.uncompressedSize | tostring)}' <<< "$out")
  es_layers+=("$work/$l.esgz|$(jq -r .diffID <<< "$out")|$ann")
done
push_image sample esgz "$cmd" "${es_layers[@]}"
image_bytes=$(( $(stat -c %s "$work/base.tar.gz") + $(stat -c %s "$work/data.tar.gz") ))

# --- jstargz and containerd --------------------------------------------------------------------------------------
cat > "$work/jstargz.toml" <<EOF
root = "$work/jstargz"
address = "$work/jstargz.sock"
[registry]
hosts_dir = "$work/certs.d"
EOF
"$jstargz" serve --config "$work/jstargz.toml" > "$work/jstargz.log" 2>&1 &
pid[jstargz]=$!
wait_for "$work/jstargz.log" 'jstargz snapshotter ready|ERROR' 60
grep -q 'snapshotter ready' "$work/jstargz.log" || { echo "make run: jstargz did not start" >&2; exit 1; }

cat > "$work/containerd.toml" <<EOF
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
[proxy_plugins]
  [proxy_plugins.jstargz]
    type = "snapshot"
    address = "$work/jstargz.sock"
EOF
containerd --config "$work/containerd.toml" > "$work/containerd.log" 2>&1 &
pid[containerd]=$!
wait_for "$work/containerd.log" 'containerd successfully booted' 60

ctr() { command ctr --address "$work/containerd.sock" --namespace jstargz-demo "$@"; }
ctr_remote() { command ctr-remote --address "$work/containerd.sock" --namespace jstargz-demo "$@"; }

# --- normal pull and run, then lazy pull and run -----------------------------------------------------------------
expected=$'hello from the sample image\n5'
declare -A pull_ms run_ms fetched
measure() { # NAME PULL-COMMAND... -- RUN-COMMAND...
  local name=$1; shift
  local pull=() t0 t1 t2 mark out
  while [ "$1" != -- ]; do pull+=("$1"); shift; done; shift
  mark=$(log_mark)
  t0=$(now_ms)
  "${pull[@]}" > "$work/$name-pull.out"
  t1=$(now_ms)
  out=$("$@")
  t2=$(now_ms)
  if [ "$out" != "$expected" ]; then
    echo "make run: the $name container printed '$out', expected '$expected'" >&2
    exit 1
  fi
  pull_ms[$name]=$((t1 - t0)); run_ms[$name]=$((t2 - t1))
  fetched[$name]=$(registry_bytes "$mark")
}

echo "normal pull (gzip layers, overlayfs) and run..."
measure normal ctr image pull --plain-http "$registry/sample:gzip" -- \
  ctr run --rm "$registry/sample:gzip" normal-run
echo "lazy pull (eStargz layers, jstargz) and run..."
measure lazy ctr_remote image rpull --plain-http --snapshotter jstargz "$registry/sample:esgz" -- \
  ctr run --rm --snapshotter jstargz "$registry/sample:esgz" lazy-run

echo
echo "jstargz status:"
"$jstargz" status --address "$work/jstargz.sock" | sed 's/^./  &/'
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
echo
printf '%-8s %10s %10s %12s %22s\n' "" "pull" "run" "total" "fetched from registry"
for name in normal lazy; do
  printf '%-8s %8d ms %8d ms %9d ms %22s\n' "$name" "${pull_ms[$name]}" "${run_ms[$name]}" \
    "$(( ${pull_ms[$name]} + ${run_ms[$name]} ))" "$(mib "${fetched[$name]}")"
done
echo "(the image is $(mib "$image_bytes") compressed; the container reads busybox and one small file. jstargz fetches"
echo " the rest of the image in the background once no container has started for fetch.background_quiet_seconds)"
