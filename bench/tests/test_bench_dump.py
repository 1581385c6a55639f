#!/usr/bin/env python3
"""bench/tests/test_bench_dump.py: `sconv-bench --dump DIR` writes the numbers it ran, readable back.

Usage: test_bench_dump.py SCONV_BENCH

On two small points (grouped, dilated, padded 3x3; strided 3x3), both layouts: every
manifest line names files whose shapes follow the manifest; the weights hold exactly the
manifest's (and the CSV's) nonzero count; the input is the same in both layouts (transposed);
and a float64 direct convolution written here, from the dumped weights and input with the
manifest's stride, pad, dilation and groups, gives the dumped expected output, which is what
sconv's rows of the same CSV were checked against (status ok).
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from checks import check, finish



def conv_nchw(x, w, stride, pad, dil, groups):
    """Direct convolution in float64: x (N,C,H,W), w (O, C/groups, KH, KW)."""
    n, c, h, wd = x.shape
    o, icg, kh, kw = w.shape
    oh = (h + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    xp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad))
    xp[:, :, pad:pad + h, pad:pad + wd] = x
    y = np.zeros((n, o, oh, ow))
    ocg = o // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * icg:(g + 1) * icg, i * dil:i * dil + stride * (oh - 1) + 1:stride,
                           j * dil:j * dil + stride * (ow - 1) + 1:stride]
                wg = w[g * ocg:(g + 1) * ocg, :, i, j].astype(np.float64)
                y[:, g * ocg:(g + 1) * ocg] += np.einsum("oc,nchw->nohw", wg, patch)
    return y


def run_case(bench, shape, tmp, name):
    d = os.path.join(tmp, name)
    out = os.path.join(tmp, name + ".csv")
    cmd = [bench, "--shape", shape, "--sparsity", "0.7", "--layout", "nchw,nhwc", "--threads",
           "1", "--engines", "sconv", "--reps", "1", "--budget", "0", "--csv", out, "--dump", d]
    print("$", " ".join(cmd))
    subprocess.run(cmd, check=True)
    rows = list(csv.DictReader(open(out)))
    with open(os.path.join(d, "manifest.jsonl")) as f:
        points = [json.loads(line) for line in f]
    check(len(points) == 2, f"{name}: {len(points)} manifest lines, expected 2 (one per layout)")
    x_by_layout = {}
    for p in points:
        tag = f"{name} {p['layout']}"
        w = np.load(os.path.join(d, p["weights"]))
        x = np.load(os.path.join(d, p["input"]))
        y = np.load(os.path.join(d, p["expected"]))
        check(w.dtype == np.float32 and x.dtype == np.float32 and y.dtype == np.float32,
              f"{tag}: dtypes {w.dtype} {x.dtype} {y.dtype}")
        n, cin, h, wd, cout, oh, ow = (p[k] for k in ("batch", "cin", "h", "w", "cout", "oh", "ow"))
        check(w.shape == (cout, cin // p["groups"], p["kh"], p["kw"]), f"{tag}: w {w.shape}")
        nhwc = p["layout"] == "nhwc"
        check(x.shape == ((n, h, wd, cin) if nhwc else (n, cin, h, wd)), f"{tag}: x {x.shape}")
        check(y.shape == ((n, oh, ow, cout) if nhwc else (n, cout, oh, ow)), f"{tag}: y {y.shape}")
        row = [r for r in rows if r["engine"] == "sconv" and r["layout"] == p["layout"]]
        check(len(row) == 1 and row[0]["status"] == "ok", f"{tag}: sconv row {row}")
        nnz = int(np.count_nonzero(w))
        check(nnz == p["nnz"] and (not row or int(row[0]["nnz"]) == nnz),
              f"{tag}: {nnz} nonzero weights, manifest {p['nnz']}, CSV {row and row[0]['nnz']}")
        x_nchw = x.transpose(0, 3, 1, 2) if nhwc else x
        y_nchw = y.transpose(0, 3, 1, 2) if nhwc else y
        x_by_layout[p["layout"]] = (x_nchw, w)
        ref = conv_nchw(x_nchw, w, p["stride"], p["pad"], p["dilation"], p["groups"])
        bound = np.abs(w).astype(np.float64).sum() * np.abs(x).max()
        err = np.abs(y_nchw - ref).max()
        check(err <= 8 * np.finfo(np.float32).eps * bound,
              f"{tag}: dumped output differs from conv(dumped w, dumped x) by {err:.3g}")
    a, b = x_by_layout.get("nchw"), x_by_layout.get("nhwc")
    check(a is not None and b is not None and np.array_equal(a[0], b[0]) and
          np.array_equal(a[1], b[1]), f"{name}: input or l1 weights differ between layouts")


def main():
    bench = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        run_case(bench, "8,12,10,10,3,3,1,2,2,4", tmp, "grouped")
        run_case(bench, "12,20,9,7,3,3,2,1", tmp, "strided")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
