#!/usr/bin/env python3
"""bench/models/run_models.py: whole pruned models on PyTorch, + sconv, ONNX Runtime, DeepSparse.

Runs in Debian's interpreter (torch, torchvision; the sconv package importable, e.g.
PYTHONPATH=python SCONV_LIBRARY=build/libsconv.so). Every engine is a long-lived worker
process (bench/models/worker.py) driven sample by sample over a pipe, so the engines'
samples interleave in time although ONNX Runtime and DeepSparse live in other venvs.
For each model and sparsity: prune every conv but the first with
torch.nn.utils.prune.global_unstructured (the same masks for every engine), save the
pruned model for the torch workers, export it to ONNX for the others, and compute the
float64 PyTorch output of the pruned model (the reference). For each thread count: set
every engine up for the point, check its output (relative L2 error of the logits above
--tol: the row says `wrong` and the engine is not timed), then time the engines round-robin
as sconv-bench does (docs/benchmarking.md, "Timing"; docs/models.md). The per-layer split
(--split models) times each conv of the torch and sconv engines with hooks.
Exit status: 2 when an engine's result was wrong or an engine failed, 1 on a usage error.
"""
import argparse
import copy
import csv
import math
import os
import statistics
import sys
import threading
import time

import numpy as np
import torch

import zoo
from protocol import Worker

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "peers"))
from cells import fmt, load_avg  # noqa: E402  (bench/peers, shared with the layer peers)
ROOT = os.path.dirname(os.path.dirname(HERE))
ENGINES = ("torch", "sconv", "sconv_cl", "onnxruntime", "deepsparse")
DEFAULT_ENGINES = "torch,sconv,onnxruntime,deepsparse"
TORCH_ENGINES = ("torch", "sconv", "sconv_cl")
COLUMNS = ["model", "sparsity", "threads", "engine", "ms_median", "ms_min", "ms_max", "reps",
           "speedup_vs_torch", "speedup_vs_deepsparse", "rel_err", "cpu", "isa", "note",
           "status", "image", "batch", "ms_stddev", "inner", "conv_zeros", "load1",
           "version"]
LAYER_COLUMNS = ["model", "sparsity", "threads", "engine", "layer", "kind", "cin", "cout",
                 "kh", "kw", "stride", "groups", "out_h", "out_w", "density", "ms_median",
                 "reps", "path"]
MIN_SAMPLE_S = 1e-3   # a sample lasts at least this long (inner runs)
IDLE_WAIT_S = 0.25    # longest wait for the other engines' threads to stop running


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=",".join(zoo.MODELS))
    p.add_argument("--sparsity", default="0,0.8,0.9,0.95")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--engines", default=DEFAULT_ENGINES)
    p.add_argument("--image", type=int, default=224, help="input height and width")
    p.add_argument("--reps", type=int, default=11, help="samples per engine and point, at most")
    p.add_argument("--budget", type=float, default=3.0,
                   help="seconds of timed and warm-up runs per engine and point")
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--split", default="mobilenet_v2,resnet50",
                   help="models whose convs are timed one by one (empty: none)")
    p.add_argument("--split-reps", type=int, default=11)
    p.add_argument("--quick", action="store_true",
                   help="resnet50, 90%%, 1 thread, 3 samples, no split (unless given)")
    p.add_argument("--csv", default=os.path.join(ROOT, "docs", "models.csv"))
    p.add_argument("--layers-csv", default=os.path.join(ROOT, "docs", "models_layers.csv"))
    p.add_argument("--work", default=os.path.join(ROOT, "build-release", "models-work"))
    p.add_argument("--ort-python", default=os.path.join(ROOT, ".venv", "bin", "python3"))
    p.add_argument("--deepsparse-python",
                   default=os.path.join(ROOT, ".venv-deepsparse", "bin", "python3"))
    given = {a.split("=")[0] for a in argv if a.startswith("--")}
    args = p.parse_args(argv)
    if args.quick:
        quick = {"--models": ("models", "resnet50"), "--sparsity": ("sparsity", "0.9"),
                 "--threads": ("threads", "1"), "--reps": ("reps", 3),
                 "--budget": ("budget", 1.0), "--split": ("split", "")}
        for opt, (attr, value) in quick.items():
            if opt not in given:
                setattr(args, attr, value)
    args.models = [m for m in args.models.split(",") if m]
    args.sparsity = [float(s) for s in args.sparsity.split(",") if s]
    args.threads = [int(t) for t in args.threads.split(",") if t]
    args.engines = [e for e in args.engines.split(",") if e]
    args.split = [m for m in args.split.split(",") if m]
    bad = ([m for m in args.models + args.split if m not in zoo.MODELS]
           + [e for e in args.engines if e not in ENGINES])
    if bad or "torch" not in args.engines:
        p.error(f"unknown model or engine {', '.join(bad)} (models: {', '.join(zoo.MODELS)}; "
                f"engines: {', '.join(ENGINES)}, torch always among them)")
    if (any(not 0 <= s < 1 for s in args.sparsity) or any(t < 1 for t in args.threads)
            or args.image < 32 or args.reps < 1 or args.budget < 0):
        p.error("sparsity in [0, 1), threads >= 1, image >= 32, reps >= 1, budget >= 0")
    return args


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def running_threads(pids, me):
    """Threads of the given processes that run or wait for a CPU, but this one."""
    n = 0
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            if int(tid) == me:
                continue
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            n += state == "R"
    return n


def wait_idle(pids):
    """Wait (at most IDLE_WAIT_S) until no other engine's threads run: a thread runtime
    that keeps spinning after a run would take a core from the next engine's sample."""
    me, deadline = threading.get_native_id(), time.perf_counter() + IDLE_WAIT_S
    while running_threads(pids, me) and time.perf_counter() < deadline:
        time.sleep(0.0005)


def rel_err(y, ref):
    y = np.asarray(y, np.float64).reshape(-1)
    ref = np.asarray(ref, np.float64).reshape(-1)
    if y.shape != ref.shape:
        return math.inf
    return float(np.linalg.norm(y - ref) / np.linalg.norm(ref))


def start_workers(args, env):
    """engine -> Worker, or engine -> reason it cannot run."""
    pythons = {"onnxruntime": args.ort_python, "deepsparse": args.deepsparse_python}
    workers = {}
    for e in args.engines:
        py = pythons.get(e, sys.executable)
        if not os.path.exists(py):
            hint = (" (scripts/bench --models --deepsparse installs it)" if e == "deepsparse"
                    else " (scripts/bench --models installs onnxruntime and onnx into .venv)")
            workers[e] = f"interpreter {py} not found{hint}"
            continue
        w = Worker(e, [py, os.path.join(HERE, "worker.py"), e], env=env)
        if w.info.get("ok"):
            workers[e] = w
        else:
            workers[e] = f"cannot import in {py}: {w.info.get('error', '?')}"
            w.close()
    return workers


class Point:
    """One model at one sparsity: its files, its reference output and its conv geometry."""

    def __init__(self, name, sparsity, args, need_onnx):
        self.name, self.sparsity = name, sparsity
        tag = f"{name}_s{sparsity:g}"
        model = zoo.prune(name, zoo.build(name), sparsity)
        self.state = os.path.join(args.work, tag + ".pt")
        torch.save({"state": model.state_dict(), "masks": zoo.masks(name, model)}, self.state)
        baked = zoo.bake(name, copy.deepcopy(model))
        self.zeros = zoo.zero_fraction(name, baked)
        x = zoo.input_tensor(args.image)
        self.input = os.path.join(args.work, f"x_{args.image}.npy")
        np.save(self.input, x.numpy())
        self.onnx = os.path.join(args.work, tag + ".onnx")
        if need_onnx:
            torch.onnx.export(baked, x, self.onnx, opset_version=13, input_names=["x"],
                              output_names=["y"], do_constant_folding=True)
        self.geometry = {}
        ref64 = baked.double()
        hooks = [m.register_forward_hook(self._record(n, m)) for n, m in zoo.convs(ref64)]
        with torch.inference_mode():
            self.ref = ref64(x.double()).numpy()
        for h in hooks:
            h.remove()

    def remove_files(self):
        """The model files are a few hundred MB per point: gone once its threads ran."""
        for path in (self.state, self.onnx):
            if os.path.exists(path):
                os.remove(path)

    def _record(self, conv_name, m):
        def hook(mod, inp, out):
            w = m.weight.detach()
            self.geometry[conv_name] = {
                "kind": zoo.kind(self.name, conv_name, m), "cin": m.in_channels,
                "cout": m.out_channels, "kh": m.kernel_size[0], "kw": m.kernel_size[1],
                "stride": m.stride[0], "groups": m.groups, "out_h": out.shape[2],
                "out_w": out.shape[3], "density": float((w != 0).sum()) / w.numel()}
        return hook


def time_point(live, args):
    """Interleaved samples: engine -> timing dict, or engine -> error text."""
    plan, result = {}, {}
    for e, w in live.items():
        r = w.request("calibrate")
        if not r["ok"]:
            result[e] = r["error"]
            continue
        t1 = max(r["s"], 1e-9)
        inner = min(max(math.ceil(MIN_SAMPLE_S / t1), 1), 1000)
        warm = t1 < args.budget / 4
        warm_s = max(t1, 2e-3) if warm else 0
        n = int(args.budget / (warm_s + inner * t1))
        plan[e] = {"inner": inner, "warm": warm, "n": min(max(n, min(args.reps, 3)), args.reps),
                   "samples": []}
    order = list(plan)
    pids = [w.pid for w in live.values()] + [os.getpid()]
    for r in range(max((p["n"] for p in plan.values()), default=0)):
        k = r % len(order)
        for e in order[k:] + order[:k]:  # the starting engine rotates each round
            p = plan[e]
            if e in result or len(p["samples"]) >= p["n"]:
                continue
            wait_idle(pids)
            reply = live[e].request("sample", inner=p["inner"], warm=p["warm"])
            if reply["ok"]:
                p["samples"].append(reply["s"])
            else:
                result[e] = reply["error"]
    for e, p in plan.items():
        if e not in result:
            s = p["samples"]
            result[e] = {"median": statistics.median(s), "min": min(s), "max": max(s),
                         "stddev": statistics.pstdev(s), "reps": len(s), "inner": p["inner"]}
    return result


def split_rows(point, threads, live, args):
    """Per-conv milliseconds (median over --split-reps runs, engines alternating), plus
    the rest of the forward (everything but the timed convs) and the total."""
    engines = [e for e in TORCH_ENGINES if e in live]
    runs = {e: [] for e in engines}
    pids = [w.pid for w in live.values()] + [os.getpid()]
    for r in range(args.split_reps):
        for e in engines[r % len(engines):] + engines[:r % len(engines)]:
            wait_idle(pids)
            reply = live[e].request("layers")
            if reply["ok"]:
                runs[e].append(reply)
    rows = []
    for e, got in runs.items():
        if not got:
            continue
        base = {"model": point.name, "sparsity": f"{point.sparsity:g}", "threads": threads,
                "engine": e, "reps": len(got)}
        conv_sum = 0.0
        for name, g in point.geometry.items():
            times = [run["convs"][name] for run in got if name in run["convs"]]
            if not times:
                continue
            ms = statistics.median(times)
            conv_sum += ms
            paths = {run.get("paths", {}).get(name, "") for run in got}
            rows.append(dict(base, layer=name, **dict(g, density=fmt(g["density"], ".4f")),
                             ms_median=fmt(ms, ".5g"), path="/".join(sorted(paths))))
        total = statistics.median(run["total_ms"] for run in got)
        rows.append(dict(base, layer="(rest)", kind="rest", ms_median=fmt(total - conv_sum, ".5g")))
        rows.append(dict(base, layer="(total)", kind="total", ms_median=fmt(total, ".5g")))
    return rows


def write_csv(path, columns, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        out = csv.DictWriter(f, columns, extrasaction="ignore")
        out.writeheader()
        out.writerows(rows)
    os.replace(tmp, path)


def add_ratios(rows):
    """speedup_vs_torch and speedup_vs_deepsparse: the peer's median over the row's, same
    model, sparsity and threads (same run); empty when the peer has no timed row."""
    def med(r):
        return float(r["ms_median"]) if r["status"] == "ok" else math.nan
    for r in rows:
        same = [q for q in rows if (q["model"], q["sparsity"], q["threads"]) ==
                (r["model"], r["sparsity"], r["threads"])]
        for peer, col in (("torch", "speedup_vs_torch"), ("deepsparse", "speedup_vs_deepsparse")):
            p = [med(q) for q in same if q["engine"] == peer]
            r[col] = fmt(p[0] / med(r), ".4g") if p and r["status"] == "ok" else ""


def main(argv):
    args = parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [HERE] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    env.setdefault("NM_DISABLE_ANALYTICS", "1")
    cpu = cpu_model()
    workers = start_workers(args, env)
    for e, w in workers.items():
        print(f"run_models: {e}: " + (w.info.get("version", "") if isinstance(w, Worker) else w),
              file=sys.stderr)
    rows, layer_rows, failed = [], [], False
    try:
        for name in args.models:
            for sparsity in args.sparsity:
                need_onnx = any(isinstance(workers.get(e), Worker)
                                for e in ("onnxruntime", "deepsparse"))
                point = Point(name, sparsity, args, need_onnx)
                for threads in args.threads:
                    torch.set_num_threads(threads)
                    prow = []
                    live = {}
                    for e in args.engines:
                        row = {"model": name, "sparsity": f"{sparsity:g}", "threads": threads,
                               "engine": e, "cpu": cpu, "image": args.image, "batch": 1,
                               "conv_zeros": fmt(point.zeros, ".4f"), "isa": "", "note": ""}
                        prow.append(row)
                        w = workers[e]
                        if not isinstance(w, Worker):
                            row.update(status="unavailable", note=w)
                            continue
                        row["version"] = w.info.get("version", "")
                        out = os.path.join(args.work, f"y_{e}.npy")
                        r = w.request("setup", model=name, sparsity=sparsity, threads=threads,
                                      state=point.state, onnx=point.onnx, input=point.input,
                                      out=out)
                        if not r["ok"]:
                            row.update(status="error", note=r["error"])
                            failed = True
                            continue
                        err = rel_err(np.load(out), point.ref)
                        row.update(rel_err=fmt(err, ".3g"), isa=r.get("isa", ""),
                                   note=r.get("note", ""))
                        if not err <= args.tol:
                            row.update(status="wrong", note=f"wrong: relative L2 error {err:.3g} "
                                       f"above {args.tol:g}; not timed")
                            failed = True
                            continue
                        live[e] = w
                    timing = time_point(live, args)
                    for row in prow:
                        t = timing.get(row["engine"])
                        if isinstance(t, str):
                            row.update(status="error", note=t)
                            failed = True
                        elif t is not None:
                            row.update(status="ok", ms_median=fmt(t["median"] * 1e3),
                                       ms_min=fmt(t["min"] * 1e3), ms_max=fmt(t["max"] * 1e3),
                                       ms_stddev=fmt(t["stddev"] * 1e3), reps=t["reps"],
                                       inner=t["inner"])
                        row["load1"] = fmt(load_avg(), ".2f")
                    if name in args.split:
                        layer_rows += split_rows(point, threads, live, args)
                    for w in live.values():
                        w.request("teardown")
                    rows += prow
                    add_ratios(rows)
                    write_csv(args.csv, COLUMNS, rows)
                    for row in prow:
                        print(f"{name} s={sparsity:g} t={threads} {row['engine']:12s} "
                              f"{row.get('status', ''):11s} {row.get('ms_median', ''):>10s} ms "
                              f"x{row.get('speedup_vs_torch', ''):6s} err {row.get('rel_err', '')} "
                              f"{row.get('note', '')}", file=sys.stderr)
                point.remove_files()
        # written even without a split, so no earlier run's split outlives this run
        write_csv(args.layers_csv, LAYER_COLUMNS, layer_rows)
    finally:
        for w in workers.values():
            if isinstance(w, Worker):
                w.close()
    print(f"run_models: wrote {args.csv} and {args.layers_csv}", file=sys.stderr)
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
