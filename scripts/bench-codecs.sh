#!/usr/bin/env bash
# Benchmarks libflowbb against classical lossless codecs (PNG, WebP, JPEG XL, JPEG 2000).
#
#   scripts/bench-codecs.sh [--quick] [DATA_DIR]
#
# DATA_DIR (default: data) holds test-downsampled32.fbd, test-downsampled64.fbd and the
# full-resolution test photographs under raw/test/ (scripts/fetch-data.sh builds them).
# Installs the codec tools from Debian packages and matplotlib into .venv when missing, builds
# flowbb in release, measures, and writes docs/benchmarks.md, docs/benchmarks.json and
# docs/img/bench-*.png. Scratch files go to target/bench/ and are rebuilt on every run.
# --quick codes only the two smallest full-resolution photographs.
# With FLOWBB_PAUSE_TRAINING=1 a running `flowbb train` is paused (SIGSTOP) while measuring and
# resumed (SIGCONT) on exit, also on failure or interruption.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=()
data=""
for arg in "$@"; do
    case "$arg" in
        --quick) quick=(--quick) ;;
        -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) echo "unknown option $arg" >&2; exit 2 ;;
        *) data="$arg" ;;
    esac
done
data="${data:-$root/data}"
data="$(cd "$data" && pwd)"
for f in test-downsampled32.fbd test-downsampled64.fbd raw/test; do
    [ -e "$data/$f" ] || { echo "missing $data/$f (run scripts/fetch-data.sh)" >&2; exit 1; }
done

# Codec tools, from Debian packages.
need=()
command -v optipng >/dev/null || need+=(optipng)
command -v cwebp >/dev/null && command -v dwebp >/dev/null || need+=(webp)
command -v cjxl >/dev/null && command -v djxl >/dev/null || need+=(libjxl-tools)
command -v opj_compress >/dev/null && command -v opj_decompress >/dev/null || need+=(libopenjp2-tools)
command -v convert-im6.q16 >/dev/null || command -v magick >/dev/null || need+=(imagemagick)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

cd "$root"
# shellcheck source=scripts/env.sh
. scripts/env.sh
python="$root/.venv/bin/python"
"$python" -c "import matplotlib" 2>/dev/null || "$root/.venv/bin/pip" install -q matplotlib

CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" cargo build --release --bin flowbb --example export_set

paused=()
if [ "${FLOWBB_PAUSE_TRAINING:-0}" = 1 ]; then
    trap 'pkill -CONT -f "flowbb train" || true' EXIT
    trap 'exit 130' INT TERM
    pkill -STOP -f "flowbb train" && paused=(--training-paused) || true
fi

"$python" scripts/bench_codecs.py --data "$data" --flowbb "$root/target/release/flowbb" \
    --export "$root/target/release/examples/export_set" --work "$root/target/bench" \
    --out "$root/docs" "${quick[@]}" "${paused[@]}"
