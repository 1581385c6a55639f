#!/usr/bin/env python3
"""bench/tests/test_peer_engine.py: a Python peer (bench/peers/) runs sconv-bench's dumped point and agrees with sconv.

Usage: test_peer_engine.py SCONV_BENCH RUN_PEERS_PY PYTHON ENGINE

ENGINE is onnxruntime or deepsparse; PYTHON the interpreter that has it (.venv,
.venv-deepsparse); without it the test exits 77 (meson: skipped, not passed). On a tiny
grouped, dilated 3x3 point in both layouts: the NCHW rows of the engine are ok with max_rel_err within the bench's
tolerance of the dumped expected output (the reference sconv's own rows passed), their ratio
columns are the oneDNN medians of the same CSV over theirs, the NHWC rows say unsupported, a
rerun replaces rather than duplicates them, and a corrupted expected output makes the runner
report `wrong` with exit status 2 (the check can fail). Timings are never asserted.
"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from checks import check, close, finish




def main():
    bench, runner, python, engine = sys.argv[1:5]
    modules = {"onnxruntime": "onnxruntime, onnx", "deepsparse": "deepsparse, onnx"}[engine]
    work = {"onnxruntime": "dense", "deepsparse": "nonzero"}[engine]
    # a venv that was never made skips like one that lacks the engine (no interpreter to run)
    if not os.path.exists(python) or subprocess.run(
            [python, "-c", "import " + modules], capture_output=True).returncode != 0:
        print(f"{python} cannot import {modules} (scripts/bench --peers or --deepsparse "
              "installs them): skipped")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        d, out = os.path.join(tmp, "dump"), os.path.join(tmp, "run.csv")
        subprocess.run([bench, "--shape", "8,12,10,10,3,3,1,2,2,4", "--sparsity", "0.7",
                        "--layout", "nchw,nhwc", "--threads", "1", "--engines", "sconv,onednn",
                        "--reps", "3", "--budget", "0.01", "--csv", out, "--dump", d], check=True)
        header_before = open(out).readline()
        peer = [python, runner, "--engine", engine, "--dump", d, "--csv", out,
                "--reps", "3", "--budget", "0.01"]
        for attempt in range(2):  # the second run must replace the rows, not add to them
            rc = subprocess.run(peer).returncode
            check(rc == 0, f"run {attempt}: run_peers exit status {rc}")
        header = open(out).readline()
        rows = list(csv.DictReader(open(out)))
        ort = [r for r in rows if r["engine"] == engine]
        check(len(ort) == 2, f"{len(ort)} {engine} rows after two runs, expected 2")
        check(header == header_before, f"header changed: {header_before!r} -> {header!r}")
        ms = {(r["engine"], r["layout"]): float(r["ms_median"])
              for r in rows if r["status"] == "ok"}
        for r in ort:
            if r["layout"] == "nhwc":
                check(r["status"] == "unsupported", f"nhwc row status {r['status']}")
                continue
            check(r["status"] == "ok", f"nchw row status {r['status']}: {r['note']}")
            if r["status"] != "ok":
                continue
            check(float(r["max_rel_err"]) <= 1e-4, f"max_rel_err {r['max_rel_err']}")
            m = float(r["ms_median"])
            check(float(r["ms_min"]) <= m <= float(r["ms_max"]), "median outside min..max")
            if ("onednn", "nchw") in ms:
                check(close(float(r["speedup_vs_onednn"]), ms[("onednn", "nchw")] / m, 2e-3),
                      f"speedup_vs_onednn {r['speedup_vs_onednn']}")
                best = min(ms[("onednn", "nchw")], ms[("onednn", "nhwc")])
                check(close(float(r["speedup_vs_best_dense"]), best / m, 2e-3),
                      f"speedup_vs_best_dense {r['speedup_vs_best_dense']}")
            check(r["isa"] == "" and r["work"] == work, f"isa '{r['isa']}' work '{r['work']}'")
        # a wrong expected output must be caught
        point = [p for p in map(json.loads, open(os.path.join(d, "manifest.jsonl")))
                 if p["layout"] == "nchw"][0]
        y_path = os.path.join(d, point["expected"])
        y = np.load(y_path)
        np.save(y_path, y * np.float32(1.01))
        rc = subprocess.run(peer).returncode
        rows = list(csv.DictReader(open(out)))
        bad = [r for r in rows if r["engine"] == engine and r["layout"] == point["layout"]]
        check(rc == 2 and len(bad) == 1 and bad[0]["status"] == "wrong" and
              bad[0]["ms_median"] == "" and not math.isnan(float(bad[0]["max_rel_err"])),
              f"corrupted expected output: exit {rc}, rows {bad}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
