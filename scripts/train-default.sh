#!/usr/bin/env bash
# Trains the default model of libflowbb, or resumes it from the checkpoint in its run folder.
#
#   scripts/train-default.sh [extra flowbb train flags]
#
# Environment:
#   RUN_DIR   run folder (checkpoint.fbck, metrics.jsonl, model.safetensors);
#             default data/runs/default at the repository root
#   DATA_DIR  folder of the data sets built by scripts/fetch-data.sh; default data/
#   FLOWBB    flowbb binary; default target/release/flowbb (built if missing)
#   THREADS   libtorch CPU threads; default 2
#   STEPS     stop after this many steps in total; default 0 (until interrupted)
#
# Ctrl-C or SIGTERM writes a checkpoint before exiting; rerunning the script continues from it
# exactly. Export the averaged weights with
#   flowbb export "$RUN_DIR" -o models/default.safetensors
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="${RUN_DIR:-$root/data/runs/default}"
data="${DATA_DIR:-$root/data}"
flowbb="${FLOWBB:-$root/target/release/flowbb}"

if [[ ! -x "$flowbb" ]]; then
    (cd "$root" && . scripts/env.sh && CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" \
        cargo build --release --quiet --bin flowbb)
fi
if [[ ! -e "$data/train-patches32.fbd" ]]; then
    FLOWBB="$flowbb" "$root/scripts/fetch-data.sh" "$data"
fi

exec "$flowbb" train \
    --run "$run" \
    --config "$root/models/default-config.json" \
    --train "$data/train-patches32.fbd" \
    --train "$data/train-downsampled32.fbd" \
    --test "$data/test-patches32.fbd" \
    --batch-size 32 --lr 1e-3 --warmup 200 --ema-decay 0.999 --seed 0 \
    --threads "${THREADS:-2}" \
    --log-every 10 --eval-every 200 --eval-max-images 256 --checkpoint-minutes 4 \
    --steps "${STEPS:-0}" \
    "$@"
