"""bench/models/tests/test_models_smoke.py: the model bench end to end, tiny; no timing asserted.

Usage: test_models_smoke.py SOURCE_ROOT LIBSCONV ORT_PYTHON
MobileNetV2 at 64x64, 90%, 1 thread, 2 samples, every engine, with the per-layer split:
the CSV's columns, one row per engine that ran within the tolerance or says why not, the
sconv rows' error below 1e-4 and their conv count, the ratio columns against the medians,
the split against the model's convs, and the report from the CSVs. Then a tolerance no
float32 engine meets: every row `wrong`, untimed, exit status 2; and DeepSparse asked of
an interpreter without it: its row says it cannot import.
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests"))
from checks import check, close, finish  # noqa: E402

CONTRACT = ["model", "sparsity", "threads", "engine", "ms_median", "ms_min", "ms_max", "reps",
            "speedup_vs_torch", "speedup_vs_deepsparse", "rel_err", "cpu", "isa", "note"]
ENGINES = ["torch", "sconv", "sconv_cl", "onnxruntime", "deepsparse"]
MUST_RUN = ("torch", "sconv", "sconv_cl")  # Debian's interpreter has all they need
N_CONVS = 52                               # torchvision MobileNetV2
KINDS = {"first": 1, "depthwise": 17}

src, lib, ort_python = sys.argv[1:4]
models = os.path.join(src, "bench", "models")
work = tempfile.mkdtemp(prefix="models-smoke-")
env = dict(os.environ, PYTHONPATH=os.path.join(src, "python"), SCONV_LIBRARY=lib)


def run(csv_path, layers_path, *extra):
    cmd = [sys.executable, os.path.join(models, "run_models.py"), "--models", "mobilenet_v2",
           "--sparsity", "0.9", "--threads", "1", "--image", "64", "--reps", "2",
           "--budget", "0", "--split-reps", "2", "--engines", ",".join(ENGINES),
           "--ort-python", ort_python, "--deepsparse-python",
           os.path.join(src, ".venv-deepsparse", "bin", "python3"),
           "--work", os.path.join(work, "files"), "--csv", csv_path,
           "--layers-csv", layers_path, *extra]
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, env=env).returncode


def read(path):
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        return r.fieldnames, list(r)


try:
    out, layers = os.path.join(work, "models.csv"), os.path.join(work, "layers.csv")
    check(run(out, layers) == 0, "run_models exits 0")
    header, rows = read(out)
    check(header[:len(CONTRACT)] == CONTRACT, f"the first columns are the contract: {header}")
    by = {r["engine"]: r for r in rows}
    check(sorted(by) == sorted(ENGINES) and len(rows) == len(ENGINES),
          f"one row per engine: {[r['engine'] for r in rows]}")
    torch_ms = float(by["torch"]["ms_median"]) if by.get("torch", {}).get("ms_median") else 0
    for e, r in by.items():
        status = r["status"]
        if e in MUST_RUN:
            check(status == "ok", f"{e} ran: {status} {r['note']}")
        if status == "ok":
            err, ms = float(r["rel_err"]), float(r["ms_median"])
            check(err <= 1e-4, f"{e}: relative error {err} <= 1e-4")
            check(0 < float(r["ms_min"]) <= ms <= float(r["ms_max"]), f"{e}: min <= median <= max")
            check(int(r["reps"]) >= 1, f"{e}: reps {r['reps']}")
            check(torch_ms > 0 and close(float(r["speedup_vs_torch"]), torch_ms / ms, 1e-3),
                  f"{e}: speedup_vs_torch {r['speedup_vs_torch']} = {torch_ms} / {ms}")
        else:
            check(status == "unavailable" and r["note"],
                  f"{e}: not run, and says why: {status} {r['note']!r}")
            check(r["ms_median"] == "" and r["speedup_vs_torch"] == "",
                  f"{e}: no time without a run")
        check(r["speedup_vs_deepsparse"] == "" or by["deepsparse"]["status"] == "ok",
              f"{e}: speedup_vs_deepsparse only with a DeepSparse time")
        check(r["model"] == "mobilenet_v2" and r["sparsity"] == "0.9" and r["threads"] == "1",
              f"{e}: the point's keys")
        check(abs(float(r["conv_zeros"]) - 0.9) < 1e-3, f"{e}: conv_zeros {r['conv_zeros']}")
    for e in ("sconv", "sconv_cl"):
        note = by.get(e, {}).get("note", "")
        counts = [int(w) for w in note.replace(",", " ").split() if w.isdigit()]
        check(note.startswith("convs:") and sum(counts) == N_CONVS,
              f"{e}: note counts {N_CONVS} convs: {note!r}")
        check(by.get(e, {}).get("isa") in ("avx512", "avx2", "portable"),
              f"{e}: isa {by.get(e, {}).get('isa')!r}")

    lheader, lrows = read(layers)
    for e in ("torch", "sconv"):
        mine = [r for r in lrows if r["engine"] == e]
        convs = [r for r in mine if r["kind"] not in ("rest", "total")]
        check(len(convs) == N_CONVS and len({r["layer"] for r in convs}) == N_CONVS,
              f"split {e}: {len(convs)} distinct convs")
        for kind, n in KINDS.items():
            check(sum(r["kind"] == kind for r in convs) == n, f"split {e}: {n} {kind}")
        check([r["kind"] for r in mine if r["kind"] in ("rest", "total")] == ["rest", "total"],
              f"split {e}: a rest and a total row")
        check(all(float(r["ms_median"]) > 0 for r in convs), f"split {e}: conv times > 0")
        if e == "sconv":  # the engine each conv ran, as the model row's note counts them
            note = by.get(e, {}).get("note", "")
            for path in ("sparse", "dense"):
                n = sum(r["path"] == path for r in convs)
                check((f"{n} {path}" in note) if n else (path not in note),
                      f"split {e}: {n} {path} convs, note {note!r}")
            check(all(r["path"] in ("sparse", "dense") for r in convs), "split sconv: paths")
        else:
            check(all(r["path"] == "" for r in convs), f"split {e}: no path")

    md = os.path.join(work, "models.md")
    shutil.copy(os.path.join(src, "docs", "models.md"), md)
    rc = subprocess.run([sys.executable, os.path.join(models, "report.py"), "--csv", out,
                         "--layers-csv", layers, "--md", md, "--plot",
                         os.path.join(work, "img")]).returncode
    check(rc == 0, "report.py exits 0")
    with open(md) as f:
        page = f.read()
    check("### mobilenet_v2" in page and "| 90% | 1 |" in page, "the report has the model table")
    check("depthwise 3x3 | 17 |" in page, "the report has the split")
    check(page.startswith("# Whole pruned models")
          and page.rstrip().endswith("<!-- models:end -->"),
          "the report keeps the page around its section")
    for ext in ("png", "svg"):
        check(os.path.getsize(os.path.join(work, "img", "models." + ext)) > 0, f"plot {ext}")
    with open(os.path.join(work, "img", "models.gp")) as f:
        check("mobilenet_v2" not in f.read(), "no label in the gnuplot script")

    bad = os.path.join(work, "wrong.csv")
    check(run(bad, os.path.join(work, "wrong_layers.csv"), "--engines", "torch,sconv,deepsparse",
              "--tol", "1e-12", "--split", "", "--deepsparse-python", sys.executable) == 2,
          "a wrong engine gives exit status 2")
    _, rows = read(bad)
    check([r["engine"] for r in rows] == ["torch", "sconv", "deepsparse"], "three rows")
    for r in rows[:2]:
        check(r["status"] == "wrong" and r["note"].startswith("wrong:") and r["ms_median"] == "",
              f"{r['engine']}: wrong, untimed: {r['status']} {r['note']!r}")
    check(rows[2:] and rows[2]["status"] == "unavailable" and "cannot import" in rows[2]["note"],
          f"an interpreter without DeepSparse: the row says so: {rows[2:]}")
finally:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(finish())
