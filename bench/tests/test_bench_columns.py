#!/usr/bin/env python3
"""bench/tests/test_bench_columns.py: sconv-bench's added CSV columns agree with the rows they derive from.

Usage: test_bench_columns.py SCONV_BENCH

Checks, on tiny points (no timing is asserted, only arithmetic between columns):
- the first 38 columns keep their names and order, and isa, peak_isa_gflops,
  peak_avx512_gflops, speedup_vs_best_dense follow;
- isa is the ISA the kernel name in the note spells (sconv rows), empty for peers;
- peak_isa_gflops is the zmm peak for avx512 rows, the ymm peak for avx2/portable rows, the
  widest measured for the rest; pct_peak = 100 x GFLOP/s executed / peak_isa_gflops;
- peak_avx512_gflops is present exactly when /proc/cpuinfo lists avx512f;
- speedup_vs_best_dense = min(oneDNN NCHW, oneDNN NHWC median) / the row's median, computed
  here from the same CSV; empty when only one layout ran;
- SCONV_ISA=avx2 gives avx2 kernels held to the ymm peak.
"""
import csv
import io
import os
import subprocess
import sys
from checks import check, close, finish

OLD_COLUMNS = (
    "layer,cin,cout,h,w,kh,kw,stride,pad,dilation,groups,batch,layout,threads,sparsity,method,"
    "engine,ms_median,ms_min,ms_max,gflops_effective,gflops_nonzero,pct_peak,speedup_vs_onednn,"
    "max_rel_err,speedup_vs_xnnpack,ms_stddev,status,work,nnz,reps,inner,peak_gflops,load1,set,"
    "family,cpu,note").split(",")
NEW_COLUMNS = ["isa", "peak_isa_gflops", "peak_avx512_gflops", "speedup_vs_best_dense"]
SCONV_ENGINES = {"sconv", "auto", "dense", "sconv_t1"}




def run(bench, args, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    cmd = [bench] + args + ["--reps", "3", "--budget", "0.01", "--csv", "-"]
    print("$", " ".join(cmd), env_extra or "")
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    header = out.splitlines()[0].split(",")
    return header, rows


def isa_of_note(note):
    """The ISA after the last '__' of the kernel named in the note; '' when none."""
    for word in note.split():
        if "__" in word:
            tail = word.rsplit("__", 1)[1]
            return {"avx512": "avx512", "avx2": "avx2", "ref": "portable"}.get(tail, "")
    return ""


def cpu_has_avx512f():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return "avx512f" in line.split()
    return False


def check_rows(rows, both_layouts, label):
    check(len(rows) > 0, f"{label}: no rows")
    avx512 = cpu_has_avx512f()
    onednn = {(r["layer"], r["layout"], r["threads"], r["sparsity"]): float(r["ms_median"])
              for r in rows if r["engine"] == "onednn" and r["status"] == "ok"}
    for r in rows:
        tag = f"{label}: {r['engine']} {r['layout']} t{r['threads']} s{r['sparsity']}"
        check((r["peak_avx512_gflops"] != "") == avx512,
              f"{tag}: peak_avx512_gflops '{r['peak_avx512_gflops']}' but avx512f={avx512}")
        if r["status"] != "ok":
            continue
        want_isa = isa_of_note(r["note"]) if r["engine"] in SCONV_ENGINES else ""
        check(r["isa"] == want_isa, f"{tag}: isa '{r['isa']}', note '{r['note']}'")
        ymm = float(r["peak_gflops"])
        zmm = float(r["peak_avx512_gflops"]) if r["peak_avx512_gflops"] else None
        want_peak = (zmm if r["isa"] == "avx512" else
                     ymm if r["isa"] in ("avx2", "portable") else
                     zmm if zmm is not None else ymm)
        check(want_peak is not None and close(float(r["peak_isa_gflops"]), want_peak, 1e-3),
              f"{tag}: peak_isa_gflops {r['peak_isa_gflops']}, expected {want_peak}")
        gflops = float(r["gflops_nonzero"] if r["work"] == "nonzero" else r["gflops_effective"])
        check(close(float(r["pct_peak"]), 100 * gflops / float(r["peak_isa_gflops"]), 2e-3),
              f"{tag}: pct_peak {r['pct_peak']} != 100 x {gflops} / {r['peak_isa_gflops']}")
        key = (r["layer"], r["threads"], r["sparsity"])
        a, b = onednn.get(key[:1] + ("nchw",) + key[1:]), onednn.get(key[:1] + ("nhwc",) + key[1:])
        if both_layouts:
            check(a is not None and b is not None, f"{tag}: oneDNN rows missing in a layout")
            want = min(a, b) / float(r["ms_median"])
            check(r["speedup_vs_best_dense"] != "" and
                  close(float(r["speedup_vs_best_dense"]), want, 2e-3),
                  f"{tag}: speedup_vs_best_dense '{r['speedup_vs_best_dense']}', expected {want:.4g}")
        else:
            check(r["speedup_vs_best_dense"] == "",
                  f"{tag}: speedup_vs_best_dense '{r['speedup_vs_best_dense']}' with one layout")


def main():
    bench = sys.argv[1]
    engines = ["--engines", "sconv,auto,dense,onednn,openblas"]
    header, rows = run(bench, ["--shape", "16,32,8,8,1,1,1,0", "--sparsity", "0.5,0.9",
                               "--layout", "nchw,nhwc", "--threads", "1,2"] + engines)
    check(header[:len(OLD_COLUMNS)] == OLD_COLUMNS, f"old columns changed: {header}")
    check(header[len(OLD_COLUMNS):] == NEW_COLUMNS, f"new columns: {header[len(OLD_COLUMNS):]}")
    if any(r["engine"] == "onednn" and r["status"] == "unavailable" for r in rows):
        print("oneDNN unavailable in this build: the best-dense checks see empty columns")
        check_rows(rows, False, "both layouts, no oneDNN")
    else:
        check_rows(rows, True, "both layouts")
    _, rows = run(bench, ["--shape", "12,20,9,7,3,3,2,1", "--sparsity", "0.8", "--layout",
                          "nhwc", "--threads", "1"] + engines)
    check_rows(rows, False, "one layout")
    _, rows = run(bench, ["--shape", "16,32,8,8,1,1,1,0", "--sparsity", "0.9", "--layout",
                          "nchw", "--threads", "1", "--engines", "sconv,auto"],
                  {"SCONV_ISA": "avx2"})
    check_rows(rows, False, "SCONV_ISA=avx2")
    has_avx2 = "avx2" in open("/proc/cpuinfo").read().split()
    for r in rows:
        if r["engine"] == "sconv" and r["status"] == "ok":
            check(r["isa"] == ("avx2" if has_avx2 else "portable"),
                  f"SCONV_ISA=avx2: sconv row isa '{r['isa']}'")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
