#!/usr/bin/env bash
# Prints the bits-per-dimension table of a model on the development-test sets, next to PNG and
# lossless WebP on the same images.
#
#   scripts/eval-default.sh [MODEL]     (default: models/default.safetensors)
#
# Environment: DATA_DIR (default data/), FLOWBB (default target/release/flowbb), THREADS (1),
# IW (importance samples, default 64), CWEBP (cwebp binary, optional).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-$root/models/default.safetensors}"
data="${DATA_DIR:-$root/data}"
flowbb="${FLOWBB:-$root/target/release/flowbb}"
iw="${IW:-64}"
threads="${THREADS:-1}"

echo "Model: $model"
echo
"$flowbb" eval --model "$model" --threads "$threads" --iw-samples "$iw" \
    "$data/test-downsampled32.fbd" "$data/test-downsampled64.fbd"
echo
"$flowbb" eval --model "$model" --threads "$threads" "$data/test-patches32.fbd"
echo
"$flowbb" eval --model "$model" --threads "$threads" --iw-samples "$((iw / 4))" \
    --max-images 128 "$data/test-patches32.fbd"
echo
(cd "$root" && . scripts/env.sh && CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" \
    cargo run --release --quiet --example classical_sizes -- \
    "$data/test-downsampled32.fbd" "$data/test-downsampled64.fbd" "$data/test-patches32.fbd")
