#!/usr/bin/env python3
"""bench/models/report.py: the numbers section of docs/models.md and its plot, from the CSVs.

Usage: report.py --csv FILE [--layers-csv FILE] --md docs/models.md [--plot DIR]

Replaces the text between the `<!-- models:begin -->` and `<!-- models:end -->` lines of
the markdown file (the rest is prose kept by hand); without a CSV the section says the
models are not yet measured. The plot (DIR/models.{png,svg}, speedup over PyTorch eager
versus sparsity, one panel per model) is drawn by gnuplot from DIR/models.dat, which holds
every label: the script DIR/models.gp carries fixed text and numbers only, so no name read
from a CSV is ever parsed as a gnuplot command. Standard library only.
"""
import argparse
import csv
import math
import os
import subprocess
import sys

BEGIN, END = "<!-- models:begin -->", "<!-- models:end -->"
COLORS = {"sconv": "#d62728", "sconv_cl": "#ff7f0e", "onnxruntime": "#2ca02c",
          "deepsparse": "#9467bd", "torch": "#1f77b4"}
KINDS = [("first", "first conv (dense)"), ("depthwise", "depthwise 3x3"),
         ("pointwise_thin", "thin pointwise 1x1 (a side <= 64 channels)"),
         ("pointwise_wide", "wide pointwise 1x1"), ("other", "other convs"),
         ("rest", "rest of the forward (not a timed conv)")]


def read(path):
    if not path or not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def label(text, cap=60):
    """A label safe inside a gnuplot data file's quoted string."""
    out = "".join("?" if c in '"\\' or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)
    return out if len(out) <= cap else out[:cap - 3] + "..."


def md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def ordered(values, key=None):
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return sorted(seen, key=key) if key else seen


def ratio(rows, model, sparsity, threads, engine, col):
    for r in rows:
        if (r["model"], num(r["sparsity"]), int(r["threads"]), r["engine"]) == \
                (model, sparsity, threads, engine) and r.get("status") == "ok":
            return num(r.get(col))
    return math.nan


def fx(v, spec=".2f", suffix="x"):
    return "—" if math.isnan(v) else format(v, spec) + suffix


def targets(rows):
    """The issue's targets for ResNet-50, measured in this CSV."""
    m = "resnet50"
    lines = ["| target | wanted | measured |", "|---|---|---|"]
    s90 = ratio(rows, m, 0.9, 1, "sconv", "speedup_vs_torch")
    d90 = ratio(rows, m, 0.9, 1, "sconv", "speedup_vs_deepsparse")
    s80 = ratio(rows, m, 0.8, 1, "sconv", "speedup_vs_torch")
    lines.append(f"| ResNet-50, 90%, 1 thread: sconv over PyTorch eager | ≥ 2.5x | {fx(s90)} |")
    lines.append(f"| ResNet-50, 90%, 1 thread: sconv over DeepSparse | ≥ 2x | {fx(d90)} |")
    lines.append(f"| ResNet-50, 80%, 1 thread: sconv over PyTorch eager | ≥ 1.6x | {fx(s80)} |")
    for sp, col, what in ((0.9, "speedup_vs_torch", "PyTorch, 90%"),
                          (0.9, "speedup_vs_deepsparse", "DeepSparse, 90%"),
                          (0.8, "speedup_vs_torch", "PyTorch, 80%")):
        one = ratio(rows, m, sp, 1, "sconv", col)
        two = ratio(rows, m, sp, 2, "sconv", col)
        lines.append(f"| ResNet-50, 2 threads, over {what}: ratio to the 1-thread ratio | "
                     f"0.85–1.15 | {fx(two / one if one else math.nan)} |")
    return lines


def model_table(rows, model):
    mine = [r for r in rows if r["model"] == model]
    engines = ordered(r["engine"] for r in mine)
    points = ordered(((num(r["sparsity"]), int(r["threads"])) for r in mine))
    out = ["| sparsity | threads | " + " | ".join(md(e) for e in engines) + " |",
           "|---|---|" + "---|" * len(engines)]
    for sp, t in sorted(points, key=lambda p: (p[1], p[0])):
        cells = []
        for e in engines:
            r = next((r for r in mine if (num(r["sparsity"]), int(r["threads"]), r["engine"])
                      == (sp, t, e)), None)
            if r is None:
                cells.append("")
            elif r.get("status") != "ok":
                cells.append(md(r.get("status", "?")))
            else:
                text = f"{num(r['ms_median']):.2f} ms"
                if e != "torch":
                    text += f" ({fx(num(r['speedup_vs_torch']))})"
                cells.append(text)
        out.append(f"| {sp:.0%} | {t} | " + " | ".join(cells) + " |")
    return out


def split_table(layer_rows, model):
    """Per conv kind: count and milliseconds on each engine, at the highest sparsity up to
    90% and each thread count."""
    mine = [r for r in layer_rows if r["model"] == model]
    if not mine:
        return []
    sps = sorted({num(r["sparsity"]) for r in mine})
    sp = max([s for s in sps if s <= 0.9] or sps)
    out = []
    for t in sorted({int(r["threads"]) for r in mine}):
        sel = [r for r in mine if num(r["sparsity"]) == sp and int(r["threads"]) == t]
        engines = ordered(r["engine"] for r in sel)
        total = {e: sum(num(r["ms_median"]) for r in sel
                        if r["engine"] == e and r["kind"] != "total") for e in engines}
        out += ["", f"{md(model)}, {sp:.0%} sparsity, {t} thread{'s' if t > 1 else ''} "
                f"(milliseconds per forward, median of {sel[0]['reps']} hooked runs):", "",
                "| kind | convs | " + " | ".join(f"{md(e)} ms | {md(e)} share" for e in engines)
                + " |", "|---|---|" + "---|---|" * len(engines)]
        for k, text in KINDS:
            cells, count = [], 0
            for e in engines:
                ks = [r for r in sel if r["engine"] == e and r["kind"] == k]
                count = max(count, len(ks))
                ms = sum(num(r["ms_median"]) for r in ks)
                cells.append(f"{ms:.3f} | {ms / total[e]:.0%}" if ks and total[e] else "— | —")
            if count:
                out.append(f"| {text} | {count if k != 'rest' else ''} | " + " | ".join(cells)
                           + " |")
        out += dense_lines(sel, engines, total)
    return out


def dense_lines(sel, engines, total):
    """Under the kinds: the convs each sconv engine's auto rule ran on the dense engine (too
    dense to pay), with their densities; nothing when the CSV has no path column."""
    out = []
    for e in engines:
        dense = [r for r in sel if r["engine"] == e and r.get("path") == "dense"]
        if not dense:
            continue
        ms = sum(num(r["ms_median"]) for r in dense)
        dens = sorted(num(r["density"]) for r in dense)
        out.append(f"\nOf {md(e)}'s convs, {len(dense)} ran on the dense engine (auto: too "
                   f"dense to pay; densities {dens[0]:.2f}–{dens[-1]:.2f}): {ms:.3f} ms, "
                   f"{ms / total[e]:.0%} of its forward.")
    return out


def plot(rows, dirname):
    """DIR/models.dat (labels as data), DIR/models.gp (fixed text), gnuplot -> png, svg."""
    models = ordered(r["model"] for r in rows)
    blocks, panels = [], []
    with open(os.path.join(dirname, "models.dat"), "w") as dat:
        for m in models:
            curves, ys = [], []
            for e in ordered(r["engine"] for r in rows if r["model"] == m):
                if e == "torch":
                    continue
                for t in sorted({int(r["threads"]) for r in rows if r["model"] == m}):
                    pts = sorted((num(r["sparsity"]), num(r["speedup_vs_torch"])) for r in rows
                                 if (r["model"], r["engine"], int(r["threads"])) == (m, e, t)
                                 and r.get("status") == "ok" and num(r["speedup_vs_torch"]) > 0)
                    if not pts:
                        continue
                    dat.write(f'"{label(e)}, {t} thread{"s" if t > 1 else ""}"\n')
                    dat.writelines(f"{s:g} {v:.5g}\n" for s, v in pts)
                    dat.write("\n\n")
                    curves.append((len(blocks), COLORS.get(e, "#7f7f7f"), 1 if t == 1 else 2))
                    blocks.append(None)
                    ys += [v for _, v in pts]
            if not curves:
                continue
            lo, hi = min(ys + [1.0]) / 1.5, max(ys + [1.0]) * 2.5
            dat.write(f'0.5 {hi / 1.5:.5g} "{label(m)}"\n\n\n')
            panels.append((curves, len(blocks), lo, hi))
            blocks.append(None)
    if not panels:
        return False
    gp_path = os.path.join(dirname, "models.gp")
    data = os.path.join(dirname, "models.dat")
    with open(gp_path, "w") as gp:
        gp.write("# generated by bench/models/report.py; every label is in models.dat\n")
        for term, ext, font in (("pngcairo", "png", "sans,9"), ("svg", "svg", "sans,10")):
            gp.write(f"set terminal {term} size {560 * len(panels)},400 font '{font}' noenhanced\n")
            gp.write(f"set output '{os.path.join(dirname, 'models.' + ext)}'\n")
            gp.write(f"set multiplot layout 1,{len(panels)} title 'Speedup over PyTorch eager "
                     "(same pruned model, batch 1)'\n")
            gp.write("set logscale y\nset grid\nset xrange [-0.02:1.0]\nset key below\n"
                     "set xlabel 'sparsity of the pruned convs'\nset ylabel 'speedup'\n")
            for curves, title_block, lo, hi in panels:
                gp.write(f"set yrange [{lo:.5g}:{hi:.5g}]\n")
                gp.write("plot 1 with lines lc rgb '#1f77b4' title 'PyTorch eager'")
                for idx, color, dt in curves:
                    gp.write(f", \\\n  '{data}' index {idx} using 1:2 with linespoints "
                             f"lc rgb '{color}' dt {dt} pt 7 title columnheader(1)")
                gp.write(f", \\\n  '{data}' index {title_block} using 1:2:3 with labels "
                         "notitle\n")
            gp.write("unset multiplot\nset output\n")
    try:
        subprocess.run(["gnuplot", gp_path], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report: gnuplot failed on {gp_path}: {e}", file=sys.stderr)
        return False
    return True


def section(rows, layer_rows, plotted, md_path, plot_dir):
    if not rows:
        return ["Not yet measured: run `scripts/bench --models --full` on a quiet machine "
                "(add `--deepsparse` for the DeepSparse rows) to fill this section in."]
    cpu = ordered(r.get("cpu", "") for r in rows)
    loads = [num(r.get("load1")) for r in rows if not math.isnan(num(r.get("load1")))]
    versions = {r["engine"]: r.get("version", "") for r in rows if r.get("version")}
    # load beyond the benchmark's own threads: other work competing for the cores (the
    # layer benchmark's rule, bench/report.c)
    extra = max((num(r.get("load1")) - int(r["threads"]) for r in rows
                 if not math.isnan(num(r.get("load1")))), default=math.nan)
    reps = [int(r["reps"]) for r in rows if r.get("status") == "ok"]
    out = [f"- Machine: {md(', '.join(cpu))}; input {md(rows[0].get('image', ''))}x"
           f"{md(rows[0].get('image', ''))}, batch 1; {min(reps, default=0)}–"
           f"{max(reps, default=0)} interleaved samples per engine and point.",
           f"- Highest 1-minute load average while measuring: {max(loads, default=math.nan):.2f}; "
           f"beyond the benchmark's own threads: {extra:.2f}"
           + (" — **other work was running: these timings are unreliable; rerun on an idle "
              "machine.**" if not extra <= 0.75 else " (the machine was otherwise idle)."),
           "- Engines: " + "; ".join(f"{md(e)} {md(v)}" for e, v in versions.items()) + ".", "",
           "### Targets", ""] + targets(rows)
    for m in ordered(r["model"] for r in rows):
        out += ["", f"### {md(m)}", "", "Median milliseconds per inference; in parentheses "
                "the speedup over PyTorch eager on the same pruned model, same run.", ""]
        out += model_table(rows, m)
    if plotted:
        rel = os.path.relpath(os.path.join(plot_dir, "models.svg"), os.path.dirname(md_path))
        out += ["", f"![speedup over PyTorch eager versus sparsity]({rel})"]
    if layer_rows:
        out += ["", "### Where the time goes (per-layer split)"]
        for m in ordered(r["model"] for r in layer_rows):
            out += split_table(layer_rows, m)
    bad = [r for r in rows if r.get("status") != "ok"]
    if bad:
        out += ["", "### Engines that did not run or failed", ""]
        out += [f"- {md(r['model'])} {num(r['sparsity']):.0%} {r['threads']} thread(s), "
                f"{md(r['engine'])}: {md(r.get('status', ''))}: {md(r.get('note', ''))}"
                for r in bad]
    return out


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--csv", required=True)
    p.add_argument("--layers-csv")
    p.add_argument("--md", required=True)
    p.add_argument("--plot", help="directory for models.{dat,gp,png,svg}")
    args = p.parse_args(argv)
    rows, layer_rows = read(args.csv), read(args.layers_csv)
    with open(args.md) as f:
        text = f.read()
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        print(f"report: {args.md} needs one '{BEGIN}' line before one '{END}' line",
              file=sys.stderr)
        return 1
    plotted = False
    if args.plot and rows:
        os.makedirs(args.plot, exist_ok=True)
        plotted = plot(rows, args.plot)
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    body = section(rows, layer_rows, plotted, args.md, args.plot or ".")
    with open(args.md + ".tmp", "w") as f:
        f.write(head + BEGIN + "\n" + "\n".join(body) + "\n" + END + tail)
    os.replace(args.md + ".tmp", args.md)
    print(f"report: wrote {args.md}" + (f" and {args.plot}/models.png, .svg" if plotted else ""),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
