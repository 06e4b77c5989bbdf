#!/usr/bin/env python3
"""Draws the delta / sigma sweep written by the codec_tables example as a PNG.

    python3 scripts/plot-codec.py [docs/results/codec.json] [docs/img/codec-sweep.png]

Left: net codelength (bpd) against sigma, one line per delta. Right: initial bits (bpd) drawn
from the bits-back chain for the same settings. Needs matplotlib (scripts/bench-codecs.sh
installs it into .venv).
"""

import json
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    src = sys.argv[1] if len(sys.argv) > 1 else "docs/results/codec.json"
    dst = sys.argv[2] if len(sys.argv) > 2 else "docs/img/codec-sweep.png"
    with open(src) as f:
        results = json.load(f)
    by_delta = defaultdict(list)
    for row in results["sweep"]:
        by_delta[row["delta_log2"]].append(row)
    bound = None
    for row in results.get("codelengths", []):
        bound = row["model_bound_bpd"]
    fig, (ax_net, ax_init) = plt.subplots(1, 2, figsize=(11, 4.2))
    for delta, rows in sorted(by_delta.items()):
        rows.sort(key=lambda r: r["sigma_log2"])
        sig = [r["sigma_log2"] for r in rows]
        ax_net.plot(sig, [r["net_bpd"] for r in rows], marker="o", label=f"delta = 2^{delta}")
        ax_init.plot(sig, [r["initial_bpd"] for r in rows], marker="o", label=f"delta = 2^{delta}")
    if bound is not None:
        ax_net.axhline(bound, color="grey", linestyle="--", linewidth=1,
                       label="model bound (all images)")
    ax_net.set_xlabel("log2 sigma")
    ax_net.set_yscale("log")
    ax_net.set_ylabel("net codelength (bpd, log scale)")
    ax_net.set_title("Net codelength")
    ax_init.set_xlabel("log2 sigma")
    ax_init.set_ylabel("initial bits (bpd)")
    ax_init.set_title("Initial bits drawn")
    for ax in (ax_net, ax_init):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    model = results.get("model", {})
    fig.suptitle(f"libflowbb sweep over delta and sigma: {model.get('name', '')}, "
                 f"{model.get('data', '')}", fontsize=10)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
