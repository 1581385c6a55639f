#!/usr/bin/env python3
"""bench/peers/run_peers.py: runs an outside engine on the points sconv-bench dumped and merges its rows into the CSV.

Usage: run_peers.py --engine onnxruntime|deepsparse --dump DIR --csv FILE [--reps R]
                    [--budget SEC] [--tol X]

For every line of DIR/manifest.jsonl (written by `sconv-bench --dump DIR`): load the exact
pruned weights and input sconv-bench ran, set the engine up outside timing, run it once and
compare with the dumped expected output (max |y - ref| / max |ref| above --tol: status
`wrong`, not timed), then time it as sconv-bench does (bench/peers/timing.py). Rows go into
FILE (sconv-bench's CSV of the same run) with the same columns; the ratios
(speedup_vs_onednn, speedup_vs_xnnpack, speedup_vs_best_dense) divide the peer medians found
in FILE for the same point by this engine's. Rows of this engine already in FILE are
replaced, so a rerun does not duplicate them. Exit status 2 when a result was wrong or
failed, 1 on a usage or harness error.
"""
import argparse
import csv
import json
import math
import os
import sys
import tempfile

import numpy as np

from cells import fmt, load_avg
from engines import ENGINES
from timing import time_engine

KEY = ("layer", "layout", "threads", "sparsity", "method", "batch")


def point_key(d):
    return (d["layer"], d["layout"], int(d["threads"]), round(float(d["sparsity"]), 9),
            d["method"], int(d["batch"]))


def num(text):
    return float(text) if text not in ("", None) else math.nan


def peer_ms(rows, point, engine, layout=None):
    """The median of the timed `engine` row of the point (in layout, default the point's)."""
    want = point_key(dict(point, layout=layout or point["layout"]))
    for r in rows:
        if r["engine"] == engine and point_key(r) == want and r["status"] == "ok":
            return num(r["ms_median"])
    return math.nan


def template(rows, point):
    """A row of sconv-bench's CSV for the point: dims, set, family, cpu and peaks are copied."""
    for r in rows:
        if point_key(r) == point_key(point):
            return r
    return None


def measure(engine, point, workdir, args):
    """(status, note, timing or None, max_rel_err)."""
    why = engine.supports(point)
    if why:
        return "unsupported", why, None, math.nan
    base = args.dump
    w = np.load(os.path.join(base, point["weights"]))
    x = np.load(os.path.join(base, point["input"]))
    ref = np.load(os.path.join(base, point["expected"]))
    try:
        run, output = engine.setup(point, w, x, workdir)
        run()
    except Exception as e:  # an engine's own failure is a row, not a crash of the sweep
        return "error", f"{type(e).__name__}: {e}"[:150], None, math.nan
    y = np.asarray(output(), dtype=np.float64).reshape(ref.shape)
    scale = float(np.max(np.abs(ref))) or 1.0
    err = float(np.max(np.abs(y - ref))) / scale if y.size else 0.0
    if not err <= args.tol:
        return "wrong", f"WRONG: max_rel_err {err:.3g} > tolerance {args.tol:.1g}; not timed", None, err
    return "ok", "", time_engine(run, args.reps, args.budget), err


def make_row(engine, point, tmpl, status, note, t, err, rows, header):
    r = {c: "" for c in header}
    if tmpl:
        for c in ("set", "family", "cpu", "peak_gflops", "peak_avx512_gflops", "nnz"):
            if c in r:
                r[c] = tmpl.get(c, "")
    p = point
    r.update({"layer": p["layer"], "cin": p["cin"], "cout": p["cout"], "h": p["h"], "w": p["w"],
              "kh": p["kh"], "kw": p["kw"], "stride": p["stride"], "pad": p["pad"],
              "dilation": p["dilation"], "groups": p["groups"], "batch": p["batch"],
              "layout": p["layout"], "threads": p["threads"], "sparsity": format(p["sparsity"], "g"),
              "method": p["method"], "engine": engine.name, "status": status,
              "work": engine.work if status in ("ok", "wrong") else "",
              "nnz": p["nnz"], "max_rel_err": fmt(err, ".3g"), "load1": fmt(load_avg(), ".2f"),
              "isa": ""})
    version = engine.version()
    r["note"] = (note or f"{engine.name} {version}; own process, not interleaved with "
                 "sconv-bench's engines")
    if "set" in r and not r["set"]:
        r["set"] = p.get("set", "")
    if t is None:
        return r
    med = t["median"]
    pix = p["batch"] * p["oh"] * p["ow"]
    dense_flop = 2.0 * pix * p["cout"] * (p["cin"] // p["groups"]) * p["kh"] * p["kw"]
    nz_flop = 2.0 * pix * p["nnz"]
    g_eff, g_nz = dense_flop / med * 1e-9, nz_flop / med * 1e-9
    # the widest measured peak: the engine chooses its own kernels from the CPU
    zmm, ymm = num(r.get("peak_avx512_gflops")), num(r.get("peak_gflops"))
    peak = zmm if not math.isnan(zmm) else ymm
    ms = med * 1e3
    a, b = peer_ms(rows, p, "onednn", "nchw"), peer_ms(rows, p, "onednn", "nhwc")
    r.update({"ms_median": fmt(ms, ".6g"), "ms_min": fmt(t["min"] * 1e3, ".6g"),
              "ms_max": fmt(t["max"] * 1e3, ".6g"), "ms_stddev": fmt(t["stddev"] * 1e3, ".4g"),
              "gflops_effective": fmt(g_eff, ".4g"), "gflops_nonzero": fmt(g_nz, ".4g"),
              "pct_peak": fmt(100 * (g_nz if engine.work == "nonzero" else g_eff) / peak, ".4g"),
              "peak_isa_gflops": fmt(peak, ".4g"),
              "speedup_vs_onednn": fmt(peer_ms(rows, p, "onednn") / ms, ".4g"),
              "speedup_vs_xnnpack": fmt(peer_ms(rows, p, "xnnpack") / ms, ".4g"),
              "speedup_vs_best_dense": fmt(min(a, b) / ms, ".4g"),
              "reps": t["reps"], "inner": t["inner"]})
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", required=True, choices=sorted(ENGINES))
    ap.add_argument("--dump", required=True, help="directory written by sconv-bench --dump")
    ap.add_argument("--csv", required=True, help="sconv-bench's CSV of the same run")
    ap.add_argument("--reps", type=int, default=11)
    ap.add_argument("--budget", type=float, default=0.15)
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    engine = ENGINES[args.engine]()
    try:
        with open(os.path.join(args.dump, "manifest.jsonl")) as f:
            points = [json.loads(line) for line in f if line.strip()]
        with open(args.csv, newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames
            rows = [r for r in reader if r["engine"] != engine.name]
    except (OSError, ValueError) as e:
        print(f"run_peers: {e}", file=sys.stderr)
        return 1
    if not header or any(k not in header for k in KEY):
        print(f"run_peers: {args.csv}: not a sconv-bench CSV", file=sys.stderr)
        return 1
    bad = 0
    new = []
    with tempfile.TemporaryDirectory() as workdir:
        for p in points:
            status, note, t, err = measure(engine, p, workdir, args)
            bad += status in ("wrong", "error")
            new.append(make_row(engine, p, template(rows, p), status, note, t, err, rows, header))
            print(f"run_peers: {engine.name} {p['layer']} {p['layout']} t{p['threads']} "
                  f"s{p['sparsity']:g}: {status}" + (f" {new[-1]['ms_median']} ms" if t else ""),
                  file=sys.stderr)
    tmp = args.csv + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows + new)
    os.replace(tmp, args.csv)
    print(f"run_peers: {len(new)} {engine.name} row(s) merged into {args.csv}", file=sys.stderr)
    return 2 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
