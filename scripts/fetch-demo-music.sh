#!/usr/bin/env bash
# Fetches the demo's music: freely licensed soundtracks from Debian's game-music packages, downloaded with
# `apt-get download` and unpacked into OUT (nothing is installed). Three styles:
#   OUT/orchestral   Battle for Wesnoth, Flare, Unknown Horizons
#   OUT/rock_metal   Mars Shooter, OpenArena
#   OUT/electronic   Endgame: Singularity, HyperRogue, Warzone 2100, Starfighter
# Files under 300 kB (jingles and stingers of a few seconds) are left out: they are not songs.
# Licences: GPL-2+ or CC-BY-SA; each package's copyright file is kept in OUT/licences/.
# Usage: fetch-demo-music.sh OUT        (about 1 GB of packages; needs apt-get, unzip is installed if missing)
set -euo pipefail
out=${1:?usage: fetch-demo-music.sh OUT}
if [ -f "$out/.complete" ]; then echo "fetch-demo-music: $out is already complete"; exit 0; fi
need_unzip=$(command -v unzip >/dev/null || echo yes)
if [ -n "$need_unzip" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null; fi

packages="wesnoth-1.16-music flare-game unknown-horizons marsshooter-data openarena-088-data singularity-music
          hyperrogue-music warzone2100-music starfighter-data"
work="$out/.packages"
mkdir -p "$work" "$out/orchestral" "$out/rock_metal" "$out/electronic" "$out/licences"
echo "fetch-demo-music: downloading $(echo $packages | wc -w) Debian packages"
(cd "$work" && apt-get download -qq $packages 2>&1 | grep -v unsandboxed || true)
for deb in "$work"/*.deb; do
  name=$(basename "$deb" | cut -d_ -f1)
  [ -d "$work/$name" ] || dpkg-deb -x "$deb" "$work/$name"
  cp "$work/$name/usr/share/doc/$name/copyright" "$out/licences/$name.copyright" 2>/dev/null || true
done

# copy STYLE PREFIX FILE...: copies songs into OUT/STYLE, prefixing names so that equal names cannot collide.
copy() {
  local style=$1 prefix=$2; shift 2
  for f in "$@"; do
    [ -f "$f" ] || continue
    [ "$(stat -c %s "$f")" -ge 300000 ] || continue
    cp "$f" "$out/$style/${prefix}$(basename "$f" | tr ' ,' '__')"
  done
}
x=$work
copy orchestral wesnoth__ "$x"/wesnoth-1.16-music/usr/share/games/wesnoth/1.16/data/core/music/*.ogg
copy orchestral flare__ "$x"/flare-game/usr/share/games/flare/mods/fantasycore/music/*_theme.ogg
copy orchestral uh__ "$x"/unknown-horizons/usr/share/unknown-horizons/content/audio/music/*.ogg
copy rock_metal mars__ "$x"/marsshooter-data/usr/share/games/marsshooter/audio/music/*.ogg
unzip -q -o -j "$x"/openarena-088-data/usr/share/games/openarena/baseoa/pak6-patch088.pk3 'music/*.ogg' -d "$work/openarena"
copy rock_metal openarena__ "$work"/openarena/*.ogg
copy electronic singularity__ "$x"/singularity-music/usr/share/games/singularity/music/*.ogg
copy electronic hyperrogue__ "$x"/hyperrogue-music/usr/share/hyperrogue/music/hr3-*.ogg
copy electronic warzone__ $(find "$x"/warzone2100-music -name '*.opus')
copy electronic starfighter__ "$x"/starfighter-data/usr/share/starfighter/music/*.ogg
rm -rf "$work"
for style in orchestral rock_metal electronic; do echo "fetch-demo-music: $style: $(ls "$out/$style" | wc -l) tracks"; done
touch "$out/.complete"
