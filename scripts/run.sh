#!/usr/bin/env bash
# The main job: convert a sample layer to eStargz and show what was made.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bin/jstargz blob convert testdata/estargz/small1.tar "$out/small1.esgz" --prioritize bin/app
bin/jstargz blob inspect "$out/small1.esgz" | head -20
bin/jstargz blob verify "$out/small1.esgz"
