#!/usr/bin/env bash
# Rebuilds tunescore's built-in descriptor space (Sources/Features/BuiltInDescriptorSpace.swift) from the reference
# music: freely licensed game music from Debian packages that no benchmark, test or demo uses
# (scripts/fetch-pretrain-music.sh; each package's folder is one source). Deterministic for the same music and binary.
# Usage: scripts/build-descriptor-space.sh MUSIC_DIR     (MUSIC_DIR is created and filled when it is not complete)
#   TUNESCORE the binary (default .build/release/tunescore: make build first)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
music=${1:?usage: build-descriptor-space.sh MUSIC_DIR}
bin=${TUNESCORE:-$here/.build/release/tunescore}
"$here/scripts/fetch-pretrain-music.sh" "$music"
space=$(mktemp --suffix=.json)
trap 'rm -f "$space"' EXIT
# pretrain computes raw descriptors, which no built-in space affects, so the binary's current space does not matter.
"$bin" pretrain "$music" --out "$space" --cache "$music/.pcm"
target="$here/Sources/Features/BuiltInDescriptorSpace.swift"
{
  echo "// Written by scripts/build-descriptor-space.sh ($(grep -o '"referenceTracks":[0-9]*' "$space" | cut -d: -f2) reference tracks, $(grep -o '"referenceSources":[0-9]*' "$space" | cut -d: -f2) sources); do not edit."
  echo "/// The built-in descriptor space as JSON (\`DescriptorSpace\`)."
  echo "public enum BuiltInDescriptorSpace {"
  echo "    public static let json = #\"\"\""
  cat "$space"; echo
  echo "\"\"\"#"
  echo "}"
} > "$target"
echo "build-descriptor-space: wrote $target"
