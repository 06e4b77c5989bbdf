#!/usr/bin/env python3
"""Draws the training curve of a run (its metrics.jsonl) into a PNG.

    python3 scripts/plot-training.py RUN_DIR/metrics.jsonl docs/training-default.png

Needs matplotlib (pip install matplotlib). Training bpd is drawn per logged interval, test bpd
(EMA weights) where the run evaluated; the x axis is the step, the top axis the hours trained.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    rows = []
    with open(src) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    train = [(r["step"], r["train_bpd"]) for r in rows if r.get("train_bpd") is not None]
    test = [(r["step"], r["test_bpd"]) for r in rows if r.get("test_bpd") is not None]
    # Wall-clock span of the run (elapsed_s restarts with each resumed process).
    hours = (rows[-1]["unix_time"] - rows[0]["unix_time"]) / 3600 if rows else 0.0

    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    if train:
        ax.plot(*zip(*train), lw=1, color="tab:blue", alpha=0.8, label="train (single sample)")
    if test:
        ax.plot(*zip(*test), "o-", ms=4, color="tab:red", label="test patches (EMA weights)")
    ax.set_xlabel("step (32 images each)")
    ax.set_ylabel("bits per dimension")
    lo = min([b for _, b in train + test] or [0])
    ax.set_ylim(max(0.0, lo - 0.3), min(8.5, lo + 3.5))
    ax.grid(alpha=0.3)
    ax.legend()
    last = rows[-1]["step"] if rows else 0
    ax.set_title(f"default model: {last} steps, {hours:.2f} h of wall-clock CPU training")
    fig.tight_layout()
    fig.savefig(out)
    print(f"{out}: {len(train)} training points, {len(test)} test points")


if __name__ == "__main__":
    main()
