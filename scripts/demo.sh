#!/usr/bin/env bash
# The main job of libflowbb, from a fresh machine: installs what is missing, fetches real test
# photographs, compresses them with the model built into the library, decompresses the archive,
# checks every pixel, and prints the sizes next to optimized PNG and lossless WebP.
#
#   scripts/demo.sh [IMAGE.png ...]     (default: three of the development-test photographs)
#
# Environment: DATA_DIR (default data/), FLOWBB_ALL=1 to use every test photograph.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
data="${DATA_DIR:-$root/data}"

scripts/setup.sh
. scripts/env.sh
echo "[demo] building flowbb (release)"
cargo build --release --quiet --bin flowbb
flowbb="$root/target/release/flowbb"

if [ $# -gt 0 ]; then
  images=("$@")
else
  if [ ! -d "$data/raw/test" ] || [ -z "$(ls "$data/raw/test" 2>/dev/null)" ]; then
    echo "[demo] fetching the test photographs"
    FLOWBB="$flowbb" scripts/fetch-data.sh "$data"
  fi
  if [ "${FLOWBB_ALL:-0}" = 1 ]; then
    mapfile -t images < <(ls "$data"/raw/test/*.png)
  else
    images=()
    for name in chelsea kodim23 coffee; do
      f=$(ls "$data"/raw/test/*"$name"*.png 2>/dev/null | head -n 1)
      [ -n "$f" ] && images+=("$f")
    done
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "[demo] compressing ${#images[@]} images with the embedded default model"
"$flowbb" compress "${images[@]}" -o "$work/demo.fbb"
"$flowbb" info "$work/demo.fbb"
echo "[demo] decompressing"
"$flowbb" decompress "$work/demo.fbb" -o "$work/out"

# Pixel-exact check, independent of how the PNG files were written.
i=0
for f in "${images[@]}"; do
  out=$(printf '%s/out/%04d.png' "$work" "$i")
  a=$(convert "$f" -depth 8 rgb:- | sha256sum | cut -d' ' -f1)
  b=$(convert "$out" -depth 8 rgb:- | sha256sum | cut -d' ' -f1)
  if [ "$a" != "$b" ]; then
    echo "[demo] MISMATCH: $f decoded differently" >&2
    exit 1
  fi
  i=$((i + 1))
done
echo "[demo] all ${#images[@]} images decoded bit for bit"

echo
printf '%-28s %10s %12s %12s %12s\n' image subpixels flowbb-bpd png-bpd webp-bpd
total_dims=0; total_png=0; total_webp=0
for f in "${images[@]}"; do
  read -r w h cs <<<"$(identify -format '%w %h %[colorspace]\n' "$f" 2>/dev/null | head -n 1)"
  c=3
  [ "$cs" = Gray ] && c=1
  dims=$((w * h * c))
  cp "$f" "$work/p.png"
  optipng -quiet -o2 -strip all "$work/p.png"
  png=$(stat -c %s "$work/p.png")
  cwebp -quiet -lossless -z 9 "$f" -o "$work/w.webp"
  webp=$(stat -c %s "$work/w.webp")
  "$flowbb" compress "$f" -o "$work/one.fbb" >/dev/null
  fbb=$(stat -c %s "$work/one.fbb")
  awk -v n="$(basename "$f")" -v d="$dims" -v a="$fbb" -v p="$png" -v w="$webp" \
    'BEGIN { printf "%-28s %10d %12.3f %12.3f %12.3f\n", n, d, 8*a/d, 8*p/d, 8*w/d }'
  total_dims=$((total_dims + dims)); total_png=$((total_png + png)); total_webp=$((total_webp + webp))
done
all=$(stat -c %s "$work/demo.fbb")
awk -v d="$total_dims" -v a="$all" -v p="$total_png" -v w="$total_webp" \
  'BEGIN { printf "%-28s %10d %12.3f %12.3f %12.3f\n", "all (one archive)", d, 8*a/d, 8*p/d, 8*w/d }'
echo
echo "flowbb-bpd is the whole archive (initial bits included); one archive for all images pays"
echo "the initial bits once. PNG: optipng -o2; WebP: cwebp -lossless -z 9."
