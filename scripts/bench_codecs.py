#!/usr/bin/env python3
"""Measures libflowbb against classical lossless codecs; driven by scripts/bench-codecs.sh.

Every classical codec codes each image as its own file. Each file is decoded back and its pixels
are compared with the original; a mismatch stops the run. libflowbb codes each set once as one
archive (one bits-back chain, initial bits paid once) and once with one archive per image (initial
bits paid per image). Sizes are whole files as a user stores them; bits per dimension (bpd) are
total bits over total sub-pixels of the set. Times are wall-clock seconds of the command-line tool,
process start (and, for flowbb, loading the model) included, averaged per image.

Writes <out>/benchmarks.json (raw numbers), <out>/benchmarks.md and <out>/img/*.png.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    """Runs cmd (a list), returns wall seconds; raises with its output on failure."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(
            f"command failed ({p.returncode}): {' '.join(map(str, cmd))}\n"
            f"{p.stdout.decode(errors='replace')}\n{p.stderr.decode(errors='replace')}"
        )
    return dt, p.stdout.decode(errors="replace")


def find_magick():
    """The real ImageMagick converter (Debian names it convert-im6.q16)."""
    for name in ("magick", "convert-im6.q16", "convert-im6", "convert"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("ImageMagick is not installed")


MAGICK = None


def rgb_pixels(path):
    """(width, height, raw RGB bytes) of any image file, through ImageMagick."""
    p = subprocess.run(
        [MAGICK, str(path), "-depth", "8", "-format", "%w %h\n", "-write", "info:-", "rgb:-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if p.returncode != 0:
        raise RuntimeError(f"cannot read {path}: {p.stderr.decode(errors='replace')}")
    head, _, data = p.stdout.partition(b"\n")
    w, h = map(int, head.split())
    return w, h, data


# Each classical codec: file suffix, encode command, decode command (to a PPM file).
def codecs():
    return {
        "PNG (optipng -o7)": (
            ".png",
            lambda png, ppm, out: ["optipng", "-quiet", "-o7", "-strip", "all", "-out", out, png],
            lambda enc, dec: [MAGICK, enc, "-depth", "8", "ppm:" + str(dec)],
        ),
        "WebP lossless (-z 9)": (
            ".webp",
            lambda png, ppm, out: [
                "cwebp", "-quiet", "-lossless", "-z", "9", "-exact", "-metadata", "none", png,
                "-o", out,
            ],
            lambda enc, dec: ["dwebp", "-quiet", enc, "-ppm", "-o", dec],
        ),
        "JPEG XL lossless (-d 0, max effort)": (
            ".jxl",
            lambda png, ppm, out: ["cjxl", "-d", "0"] + JXL_EFFORT + [png, out],
            lambda enc, dec: ["djxl", enc, dec],
        ),
        "JPEG 2000 lossless (.j2k)": (
            ".j2k",
            lambda png, ppm, out: ["opj_compress", "-i", ppm, "-o", out],
            lambda enc, dec: ["opj_decompress", "-i", enc, "-o", dec],
        ),
    }


JXL_EFFORT = ["-e", "9"]


def jxl_max_effort(work):
    """Highest cjxl effort this version accepts: 10 (newer libjxl, expert flag) or 9."""
    ppm = work / "probe.ppm"
    ppm.write_bytes(b"P6\n1 1\n255\n\x80\x80\x80")
    p = subprocess.run(["cjxl", "-d", "0", "-e", "10", "--allow_expert_options", str(ppm),
                        str(work / "probe.jxl")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return ["-e", "10", "--allow_expert_options"] if p.returncode == 0 else ["-e", "9"]


def tool_versions(flowbb):
    def first(cmd):
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            lines = [line for line in p.stdout.decode(errors="replace").splitlines() if line]
            return lines[0].strip() if lines else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    opj = "?"
    p = subprocess.run(["opj_compress", "-h"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for line in p.stdout.decode(errors="replace").splitlines():
        if "openjp2 library" in line:
            opj = "opj_compress, " + line.strip()
    return {
        "optipng": first(["optipng", "--version"]),
        "cwebp": "cwebp " + first(["cwebp", "-version"]),
        "cjxl": first(["cjxl", "--version"]),
        "opj_compress": opj,
        "imagemagick": first([MAGICK, "--version"]),
        "flowbb": first([flowbb, "--version"]),
        "rustc": first(["rustc", "--version"]),
    }


def machine():
    model, cores = "?", os.cpu_count()
    try:
        out = subprocess.run(["lscpu"], stdout=subprocess.PIPE).stdout.decode()
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {"cpu": model, "cores": cores, "os": platform.platform()}


def bench_classical(name, spec, images, work):
    """Codes each image alone; returns per-image rows."""
    suffix, enc_cmd, dec_cmd = spec
    rows = []
    for img in images:
        out = work / (img["name"] + ".enc" + suffix)
        dec = work / (img["name"] + ".dec.ppm")
        for f in (out, dec):
            if f.exists():
                f.unlink()
        t_enc, _ = run(enc_cmd(str(img["png"]), str(img["ppm"]), str(out)))
        t_dec, _ = run(dec_cmd(str(out), str(dec)))
        w, h, px = rgb_pixels(dec)
        if (w, h, px) != (img["w"], img["h"], img["rgb"]):
            raise RuntimeError(f"{name}: {img['name']} does not decode to the same pixels")
        rows.append({"image": img["name"], "bytes": out.stat().st_size,
                     "encode_s": t_enc, "decode_s": t_dec})
        dec.unlink()
    return rows


def flowbb_archive(flowbb, images, work, tag, extra=()):
    """Codes all images into one archive, decodes and checks it; returns the statistics."""
    arc = work / f"{tag}.fbb"
    dec = work / f"{tag}.dec"
    shutil.rmtree(dec, ignore_errors=True)
    t_enc, out = run([flowbb, "compress", "--json", *extra, "-o", str(arc)]
                       + [str(i["png"]) for i in images])
    stats = json.loads(out.strip().splitlines()[-1])
    t_dec, _ = run([flowbb, "decompress", "-o", str(dec), str(arc)])
    for k, img in enumerate(images):
        w, h, px = rgb_pixels(dec / f"{k:04}.png")
        if (w, h, px) != (img["w"], img["h"], img["rgb"]):
            raise RuntimeError(f"flowbb: {img['name']} does not decode to the same pixels")
    shutil.rmtree(dec)
    return {"bytes": arc.stat().st_size, "encode_s": t_enc, "decode_s": t_dec, "stats": stats}


def summarize(rows, dims_total, n):
    total = sum(r["bytes"] for r in rows)
    return {
        "bytes": total,
        "bpd": total * 8 / dims_total,
        "encode_s_per_image": sum(r["encode_s"] for r in rows) / n,
        "decode_s_per_image": sum(r["decode_s"] for r in rows) / n,
        "images": rows,
    }


def load_images(folder, names=None):
    images = []
    for png in sorted(Path(folder).glob("*.png")):
        if names is not None and png.stem not in names:
            continue
        ppm = png.with_suffix(".ppm")
        w, h, px = rgb_pixels(png)
        images.append({"name": png.stem, "png": png, "ppm": ppm, "w": w, "h": h, "rgb": px})
    return images


def header_costs(flowbb, work):
    """Size of a 32x32 uniformly grey RGB image coded by each codec: its pixels cost next to
    nothing, so the size is the per-file overhead (headers, container, model and stream set-up)."""
    work.mkdir(parents=True, exist_ok=True)
    ppm = work / "flat.ppm"
    ppm.write_bytes(b"P6\n32 32\n255\n" + b"\x80" * 3072)
    png = work / "flat.png"
    run([MAGICK, str(ppm), str(png)])
    img = {"name": "flat", "png": png, "ppm": ppm, "w": 32, "h": 32, "rgb": b"\x80" * 3072}
    out = {}
    for name, spec in codecs().items():
        try:
            out[name] = bench_classical(name, spec, [img], work)[0]["bytes"]
        except RuntimeError as e:
            log(f"{name} on a flat 32x32 image: {e}")
    for tag, label in [("flat", "libflowbb (one archive per image)")]:
        try:
            out[label] = flowbb_archive(flowbb, [img], work, tag)["bytes"]
        except RuntimeError as e:
            log(f"flowbb on a flat 32x32 image: {e}")
    return out


def bench_set(flowbb, key, title, images, work, chain):
    work.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    dims = sum(i["w"] * i["h"] * 3 for i in images)
    n = len(images)
    res = {"title": title, "images": n, "dims": dims,
           "sizes": sorted({f"{i['w']}x{i['h']}" for i in images}), "codecs": {}}
    for name, spec in codecs().items():
        log(f"{key}: {name}")
        res["codecs"][name] = summarize(bench_classical(name, spec, images, work), dims, n)
    variants = [("libflowbb (one archive)", ())]
    if chain:
        variants.append(("libflowbb (one archive, --batch-size 1)", ("--batch-size", "1")))
    for label, extra in variants:
        log(f"{key}: {label}")
        a = flowbb_archive(flowbb, images, work, key + ("-all-b1" if extra else "-all"), extra)
        res["codecs"][label] = {
            "bytes": a["bytes"], "bpd": a["bytes"] * 8 / dims,
            "net_bpd": a["stats"]["net_bpd"], "initial_bpd": a["stats"]["initial_bpd"],
            "model_bound_bpd": a["stats"]["tile_bound_bpd"],
            "encode_s_per_image": a["encode_s"] / n, "decode_s_per_image": a["decode_s"] / n,
            "encode_s_total": a["encode_s"], "decode_s_total": a["decode_s"],
            "stats": a["stats"],
        }
    log(f"{key}: libflowbb, one archive per image")
    rows = []
    for img in images:
        r = flowbb_archive(flowbb, [img], work, key + "-" + img["name"])
        rows.append({"image": img["name"], "bytes": r["bytes"], "encode_s": r["encode_s"],
                     "decode_s": r["decode_s"], "net_bpd": r["stats"]["net_bpd"],
                     "initial_bpd": r["stats"]["initial_bpd"]})
    s = summarize(rows, dims, n)
    s["net_bpd"] = sum(r["net_bpd"] * img["w"] * img["h"] * 3
                       for r, img in zip(rows, images)) / dims
    s["initial_bpd"] = sum(r["initial_bpd"] * img["w"] * img["h"] * 3
                           for r, img in zip(rows, images)) / dims
    res["codecs"]["libflowbb (one archive per image)"] = s
    res["wall_s"] = time.perf_counter() - t_start
    return res


PAPER = {
    "title": "Seed paper (Flow++ with local bits-back coding), ImageNet test sets, not our data",
    "rows": [
        ["Flow++ model, theoretical (Table 3.3)", "3.871", "3.701"],
        ["Flow++ local bits-back, actual (Table 3.3)", "3.875", "3.703"],
        ["Flow++ NLL as published (Table 3.1)", "3.86", "3.69"],
    ],
}

PUBLISHED_SMALL = [
    ["PNG", "6.39 (Bit-Swap), 6.42 (L3C)", "5.74 (L3C)"],
    ["WebP lossless", "5.29 (Bit-Swap), 5.28 (L3C)", "4.64 (L3C)"],
    ["JPEG 2000 lossless", "6.35 (L3C)", "5.07 (L3C)"],
    ["FLIF", "5.08 (L3C)", "4.54 (L3C)"],
]

PUBLISHED_LARGE = [
    ["PNG", "4.235", "4.35"],
    ["WebP lossless", "3.176", "3.18"],
    ["JPEG 2000 lossless", "3.127", "3.19"],
    ["JPEG XL lossless", "2.88", "2.87"],
    ["FLIF", "2.911", "2.90"],
]


def plot(results, img_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for key, res in results["sets"].items():
        names = list(res["codecs"].keys())
        bpd = [res["codecs"][n]["bpd"] for n in names]
        enc = [res["codecs"][n]["encode_s_per_image"] for n in names]
        dec = [res["codecs"][n]["decode_s_per_image"] for n in names]
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
        colors = ["#4c72b0" if not n.startswith("libflowbb") else "#dd8452" for n in names]
        ax1.barh(names, bpd, color=colors)
        net = [res["codecs"][n].get("net_bpd") for n in names]
        ys_net = [y for y, v in enumerate(net) if v is not None]
        if ys_net:
            ax1.barh(ys_net, [net[y] for y in ys_net], color="none", edgecolor="black",
                     hatch="//", label="net (without initial bits)")
            ax1.legend(loc="lower right", fontsize=8)
        for y, v in enumerate(bpd):
            ax1.text(v, y, f" {v:.3f}", va="center", fontsize=8)
        ax1.set_xlabel("bits per dimension (whole files)")
        ax1.invert_yaxis()
        ax1.set_xlim(0, max(bpd) * 1.18)
        ys = range(len(names))
        ax2.barh([y - 0.2 for y in ys], enc, height=0.4, label="encode")
        ax2.barh([y + 0.2 for y in ys], dec, height=0.4, label="decode")
        ax2.set_yticks(list(ys))
        ax2.set_yticklabels([])
        ax2.invert_yaxis()
        ax2.set_xscale("log")
        ax2.set_xlabel("seconds per image (log scale)")
        ax2.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, fontsize=8)
        fig.suptitle(res["title"])
        fig.tight_layout()
        path = img_dir / f"bench-{key}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        files.append(path)
    return files


def fmt_table(res):
    lines = ["| codec | bpd | bytes | encode s/image | decode s/image |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, c in res["codecs"].items():
        extra = ""
        if "net_bpd" in c:
            extra = f" (net {c['net_bpd']:.3f}"
            if "initial_bpd" in c:
                extra += f" + initial {c['initial_bpd']:.3f}"
            extra += ")"
        lines.append(f"| {name} | {c['bpd']:.3f}{extra} | {c['bytes']} | "
                     f"{c['encode_s_per_image']:.3f} | {c['decode_s_per_image']:.3f} |")
    return "\n".join(lines)


def write_markdown(results, out, plots):
    m = results["machine"]
    L = ["# Benchmarks against classical lossless codecs", "",
         "Generated by `scripts/bench-codecs.sh" + (" --quick" if results["quick"] else "")
         + "`; the raw numbers are in [benchmarks.json](benchmarks.json).", "",
         f"- Date: {results['date']}",
         f"- Machine: {m['cpu']}, {m['cores']} cores; {m['os']}",
         f"- Model: {results['model']}",
         f"- Training paused while timing: {'yes' if results['training_paused'] else 'no'}; "
         f"load average at the start {results['loadavg']}", "",
         "Versions:", ""]
    for k, v in results["versions"].items():
        L.append(f"- {k}: `{v}`")
    L += ["",
          "## How the figures are made", "",
          "- bpd (bits per dimension) = 8 x total bytes of the files / total sub-pixels of the set "
          "(height x width x 3 per image). Sizes are whole files, headers included.",
          "- Each classical codec codes each image as its own file, then the file is decoded with "
          "the codec's own decoder and its pixels are compared with the original (any mismatch "
          "aborts the run). Settings: `optipng -o7 -strip all`, `cwebp -lossless -z 9 -exact "
          f"-metadata none`, `cjxl -d 0 {' '.join(JXL_EFFORT)}` (the highest effort this version accepts), "
          "`opj_compress` default (reversible 5/3 wavelet) writing a raw `.j2k` codestream "
          "(a `.jp2` box adds about 85 bytes more).",
          "- libflowbb: `flowbb compress` with the embedded default model and default parameters "
          "(sigma = 2^-14, delta = 2^-32, 16 streams, 64 tiles per network batch). Images are "
          "coded as 32x32 tiles. *One archive* codes the whole set into one bits-back chain in one "
          "file; batches start at one tile and grow (the batch ramp), so the initial bits are "
          "about those of one tile, paid once per archive. *--batch-size 1* codes every tile on "
          "its own, one after another (the paper's setting; the same initial bits, slower on "
          "large sets). *One archive per image* pays the initial bits for every image. The net bpd excludes the "
          "initial bits; bpd is the whole archive. Every archive is decoded and checked.",
          "- Times: wall-clock seconds of one command-line call, process start included (for "
          "flowbb also loading the model and libtorch), divided by the number of images it coded. "
          "CPU only.", ""]
    hc = results.get("header_bytes")
    if hc:
        L += ["## Per-file overhead", "",
              "Size of a 32x32 uniformly grey RGB image coded by each tool: the pixels cost next to "
              "nothing, so this is the fixed cost of a file. On a 32x32 image each byte costs "
              "8/3072 = 0.0026 bpd, on a 64x64 image 0.00065 bpd. For libflowbb it is mostly the "
              "initial bits of the bits-back chain.", "",
              "| codec | bytes for a flat 32x32 | bpd it adds at 32x32 | at 64x64 |",
              "| --- | ---: | ---: | ---: |"]
        for name, b in hc.items():
            L.append(f"| {name} | {b} | {b * 8 / 3072:.3f} | {b * 8 / 12288:.3f} |")
        L.append("")
    for key, res in results["sets"].items():
        L += [f"## {res['title']}", "",
              f"{res['images']} images ({', '.join(res['sizes'])}), {res['dims']} sub-pixels; "
              f"measuring this set took {res['wall_s'] / 60:.1f} min.", "",
              fmt_table(res), ""]
        one = res["codecs"].get("libflowbb (one archive)")
        if one:
            tiles = one["stats"]["tiles"]
            L += [f"libflowbb coded {tiles} tiles of 32x32 here: "
                  f"{one['encode_s_total'] / tiles:.3f} s per tile to encode and "
                  f"{one['decode_s_total'] / tiles:.3f} s to decode (one archive). The run time "
                  "of the flow coder grows with the number of tiles; all "
                  f"{results.get('photos_all', '?')} photographs make "
                  f"{results.get('photo_tiles_all', '?')} tiles.", ""]
        L += [f"![{key}](img/bench-{key}.png)", ""]
    L += ["## Published figures, for reference (other data sets)", "",
          "These come from papers and were measured on other data: ImageNet 32x32 / 64x64 test "
          "sets for the small images, DIV2K and Kodak for the photographs. They are not comparable "
          "number for number with the sets above (which are downsampled from our own test "
          "photographs), only in order of magnitude and ranking.", "",
          "Seed paper (Flow++ with local bits-back coding; Tables 3.1 and 3.3):", "",
          "| figure | ImageNet 32x32 | ImageNet 64x64 |", "| --- | ---: | ---: |"]
    for r in PAPER["rows"]:
        L.append(f"| {r[0]} | {r[1]} | {r[2]} |")
    L += ["", "Classical codecs on ImageNet (bpd, as published):", "",
          "| codec | ImageNet 32x32 | ImageNet 64x64 |", "| --- | ---: | ---: |"]
    for r in PUBLISHED_SMALL:
        L.append(f"| {r[0]} | {r[1]} | {r[2]} |")
    L += ["", "Classical codecs on high-resolution photographs (bpd = bits per sub-pixel, "
          "as published):", "",
          "| codec | DIV2K validation | Kodak |", "| --- | ---: | ---: |"]
    for r in PUBLISHED_LARGE:
        L.append(f"| {r[0]} | {r[1]} | {r[2]} |")
    L.append("")
    (out / "benchmarks.md").write_text("\n".join(L))


def main():
    global MAGICK, JXL_EFFORT
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", required=True, type=Path, help="data folder (.fbd sets, raw/test)")
    ap.add_argument("--flowbb", required=True, help="path of the flowbb binary")
    ap.add_argument("--export", required=True, help="path of the export_set example binary")
    ap.add_argument("--work", required=True, type=Path, help="scratch folder")
    ap.add_argument("--out", required=True, type=Path, help="docs folder")
    ap.add_argument("--quick", action="store_true", help="fewer photographs")
    ap.add_argument("--training-paused", action="store_true")
    a = ap.parse_args()
    MAGICK = find_magick()
    work = a.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    JXL_EFFORT = jxl_max_effort(work)

    sets = {}
    for key, fbd, title in [
        ("down32", "test-downsampled32.fbd", "Test photographs downsampled to 32x32"),
        ("down64", "test-downsampled64.fbd", "Test photographs downsampled to 64x64"),
    ]:
        folder = work / "sets" / key
        run([a.export, str(a.data / fbd), str(folder)])
        sets[key] = (title, load_images(folder), True)

    photos = sorted((a.data / "raw" / "test").glob("*.png"))
    sizes = {p: rgb_pixels(p)[:2] for p in photos}
    photo_tiles_all = sum(-(-w // 32) * -(-h // 32) for w, h in sizes.values())
    if a.quick:
        photos = sorted(photos, key=lambda p: (sizes[p][0] * sizes[p][1], p.name))[:2]
    folder = work / "sets" / "full"
    folder.mkdir(parents=True)
    for p in photos:
        shutil.copy(p, folder / p.name)
        run([MAGICK, str(p), "-depth", "8", "ppm:" + str(folder / (p.stem + ".ppm"))])
    sets["full"] = ("Full-resolution test photographs" + (" (quick subset)" if a.quick else ""),
                    load_images(folder), False)

    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": tool_versions(a.flowbb),
        "model": "embedded default model (models/default.safetensors)",
        "quick": a.quick,
        "training_paused": a.training_paused,
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "jxl_options": JXL_EFFORT,
        "sets": {},
        "photos_all": len(sizes),
        "photo_tiles_all": photo_tiles_all,
    }
    log("per-file overhead (flat 32x32 images)")
    results["header_bytes"] = header_costs(a.flowbb, work / "one")
    for key, (title, images, chain) in sets.items():
        results["sets"][key] = bench_set(a.flowbb, key, title, images, work / key, chain)
        # Write what is known so far, so a long run leaves partial results.
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "benchmarks.json").write_text(json.dumps(results, indent=1))
    try:
        _, info = run([a.flowbb, "info", "--json", str(work / "down32" / "down32-all.fbb")])
        fp = json.loads(info)["model_fingerprint"]
        results["model"] += f", fingerprint {fp}"
    except (RuntimeError, ValueError, KeyError) as e:
        log(f"no model fingerprint: {e}")
    plots = plot(results, a.out / "img")
    write_markdown(results, a.out, plots)
    for key, res in results["sets"].items():
        print(f"\n{res['title']}\n{fmt_table(res)}")
    log(f"wrote {a.out / 'benchmarks.md'}, {a.out / 'benchmarks.json'}, "
        + ", ".join(str(p) for p in plots))


if __name__ == "__main__":
    main()
