#!/usr/bin/env bash
# Fetches the reference music tunescore's shipped descriptor statistics are computed from: freely licensed game
# music from Debian 12 (bookworm, main) packages that no benchmark, test or demo uses. Downloaded with
# `apt-get download` and unpacked (nothing is installed); every audio file of at least 300 kB is copied into
# OUT/PACKAGE/, each package's copyright file into OUT/licences/. The music itself is not redistributed: only
# statistics of it (means and spreads of a track descriptor, and each track's 32 numbers in the learned space) go
# into the repository.
# Usage: fetch-pretrain-music.sh OUT        (about 1.3 GB of packages; needs apt-get)
set -euo pipefail
out=${1:?usage: fetch-pretrain-music.sh OUT}
if [ -f "$out/.complete" ]; then echo "fetch-pretrain-music: $out is already complete"; exit 0; fi
packages="naev-data hedgewars-data planetblupi-music-ogg colobot-common-sounds searchandrescue-data freecol warmux-data
  trackballs-data davegnukem-data enigma-data plee-the-bear-data extremetuxracer-data gigalomania-data miceamaze xmoto-data
  wizznic-data pathological lincity-ng-data lordsawar-data neverball-common fillets-ng-data ardentryst amoebax-data
  btanks-data torus-trooper-data mu-cade-data titanion-data gunroar-data pink-pony-data glob2-data scorched3d-data angrydd
  seahorse-adventures raincat-data val-and-rick-data solarwolf drascula-music pushover-data adonthell-data photofilmstrip
  asc-music zaz-data hex-a-hop-data wordwarvi-sound krank spacezero parsec47-data a7xpg-data renpy-demo funnyboat
  lugaru-data performous vonsh phlipple-data pangzero csmash-demosong"
work="$out/.packages"
mkdir -p "$work" "$out/licences"
echo "fetch-pretrain-music: downloading $(echo $packages | wc -w) Debian packages"
apt-get update -qq
for p in $packages; do (cd "$work" && apt-get download -qq "$p" 2>&1 | grep -v unsandboxed || true); done
for deb in "$work"/*.deb; do
  name=$(basename "$deb" | cut -d_ -f1)
  [ -d "$work/$name" ] || dpkg-deb -x "$deb" "$work/$name"
  cp "$work/$name/usr/share/doc/$name/copyright" "$out/licences/$name.copyright" 2>/dev/null || true
  mkdir -p "$out/$name"
  find "$work/$name" -type f -size +300k \( -iname '*.ogg' -o -iname '*.mp3' -o -iname '*.flac' -o -iname '*.wav' \
       -o -iname '*.opus' \) -print0 | while IFS= read -r -d '' f; do
    cp "$f" "$out/$name/$(echo "${f#"$work/$name/"}" | tr '/ ' '__')"
  done
done
rm -rf "$work"
echo "fetch-pretrain-music: $(find "$out" -type f ! -path '*/licences/*' | wc -l) files in $(ls -d "$out"/*/ | wc -l) folders"
touch "$out/.complete"
