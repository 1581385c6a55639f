#!/usr/bin/env python3
"""bench/models/worker.py ENGINE: one engine of the model bench, a process driven over a pipe.

ENGINE: torch (PyTorch eager, the pruned model with its masks multiplied in), sconv
(PyTorch + sconv.torch.sparsify(model, sparsity=None): exactly the masks), sconv_cl (the
same on channels_last inputs, packed in 'hwc' order), onnxruntime or deepsparse (the
exported model). Requests (bench/models/protocol.py):
  setup      model, sparsity, threads, state (torch.save of the pruned model), onnx, input,
             out: build the engine for one point outside timing, run once, save the output
  calibrate  one run, its seconds
  sample     inner, warm: untimed runs for at least WARM_MIN_S (one at least) when warm,
             then the mean seconds of `inner` back-to-back runs
  layers     torch engines: one untimed run, then one run with per-conv timing hooks
  teardown   drop the point
Imports happen inside each engine, so each interpreter needs only its own.
"""
import os
import sys
import time

import numpy as np

from protocol import hello, open_channel, serve

# one sample as the layer bench's Python peers take it (bench/peers/timing.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'peers'))
from timing import one_sample  # noqa: E402



class TorchEngine:
    """PyTorch eager; subclasses change the model the user would run."""
    name = "torch"

    def __init__(self):
        import torch
        self.torch = torch
        torch.set_num_interop_threads(1)

    def version(self):
        return self.torch.__version__

    def _pruned(self, req):
        """The architecture with the coordinator's weights and torch.nn.utils.prune masks."""
        import zoo
        torch = self.torch
        saved = torch.load(req["state"])
        model = zoo.build(req["model"])
        zoo.apply_masks(req["model"], model, saved["masks"])
        model.load_state_dict(saved["state"])
        return model.eval()

    def _model(self, req):
        import zoo
        return zoo.bake(req["model"], self._pruned(req))

    def _input(self, req):
        return self.torch.from_numpy(np.load(req["input"]))

    def setup(self, req):
        torch = self.torch
        torch.set_num_threads(req["threads"])
        model = self._model(req)
        x = self._input(req)
        self.model = model

        def run():
            with torch.inference_mode():
                return model(x)
        self.run = run
        y = run()
        np.save(req["out"], y.float().contiguous().numpy())
        return self.describe()

    def describe(self):
        return {"isa": "", "note": ""}

    def conv_modules(self):
        return [(n, m) for n, m in self.model.named_modules()
                if isinstance(m, self.torch.nn.Conv2d)]

    def layers(self):
        """Milliseconds of each conv module (its name in the source model) and the whole
        forward, of one run after an untimed one."""
        self.run()
        start, ms, hooks = {}, {}, []
        for name, m in self.conv_modules():
            def pre(mod, inp, name=name):
                start[name] = time.perf_counter()

            def post(mod, inp, out, name=name):
                ms[name] = (time.perf_counter() - start[name]) * 1e3
            hooks += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
        try:
            t0 = time.perf_counter()
            self.run()
            total = (time.perf_counter() - t0) * 1e3
        finally:
            for h in hooks:
                h.remove()
        return {"convs": ms, "total_ms": total}


class SconvEngine(TorchEngine):
    name = "sconv"
    channels_last = False

    def version(self):
        import sconv
        return f"torch {self.torch.__version__}, sconv {getattr(sconv, '__version__', '?')}"

    def _model(self, req):
        import sconv.torch
        model = self._pruned(req)
        if self.channels_last:
            model = model.to(memory_format=self.torch.channels_last)
        return sconv.torch.sparsify(model, sparsity=None, threads=req["threads"],
                                    order="hwc" if self.channels_last else "chw")

    def _input(self, req):
        x = super()._input(req)
        return x.to(memory_format=self.torch.channels_last) if self.channels_last else x

    def conv_modules(self):
        import sconv.torch
        return [(m.source, m) for m in self.model.modules()
                if isinstance(m, sconv.torch.SparseConv2d)]

    def layers(self):
        """As the torch engine's, plus the engine each conv's plan chose (sparse or dense)."""
        got = super().layers()
        got["paths"] = {name: (m.op.describe() or {}).get("engine", "")
                        for name, m in self.conv_modules()}
        return got

    def describe(self):
        """Which engine each conv's plan chose, and the ISA of the sparse kernels."""
        engines, isas = {}, {}
        for _, m in self.conv_modules():
            d = m.op.describe() or {}
            engines[d.get("engine", "?")] = engines.get(d.get("engine", "?"), 0) + 1
            kernel = d.get("kernel", "")
            if d.get("engine") == "sparse" and "__" in kernel:
                isa = kernel.rsplit("__", 1)[1]
                isas[isa] = isas.get(isa, 0) + 1
        note = "convs: " + ", ".join(f"{n} {e}" for e, n in sorted(engines.items()))
        isa = max(isas, key=isas.get) if isas else ""
        if isa == "ref":
            isa = "portable"
        return {"isa": isa, "note": note}


class SconvChannelsLast(SconvEngine):
    name = "sconv_cl"
    channels_last = True


class OnnxRuntimeEngine:
    name = "onnxruntime"

    def __init__(self):
        import onnxruntime
        self.ort = onnxruntime

    def version(self):
        return self.ort.__version__

    def setup(self, req):
        ort = self.ort
        opt = ort.SessionOptions()
        opt.intra_op_num_threads = req["threads"]
        opt.inter_op_num_threads = 1
        opt.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opt.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(req["onnx"], sess_options=opt,
                                    providers=["CPUExecutionProvider"])
        x = np.ascontiguousarray(np.load(req["input"]))
        out = sess.get_outputs()[0]
        y = np.empty([int(d) for d in out.shape], np.float32)
        # bound buffers: no allocation or copy in the timed call, as in bench/peers
        binding = sess.io_binding()
        binding.bind_cpu_input(sess.get_inputs()[0].name, x)
        binding.bind_ortvalue_output(out.name, ort.OrtValue.ortvalue_from_numpy(y))
        self.run = lambda: sess.run_with_iobinding(binding)
        self.run()
        np.save(req["out"], y)
        return {"isa": "", "note": ""}


class DeepSparseEngine:
    name = "deepsparse"

    def __init__(self):
        os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")  # no usage report over the network
        import deepsparse
        self.ds = deepsparse

    def version(self):
        return self.ds.__version__

    def setup(self, req):
        engine = self.ds.Engine(model=req["onnx"], batch_size=1, num_cores=req["threads"])
        inputs = [np.ascontiguousarray(np.load(req["input"]))]
        out = [None]

        def run():
            out[0] = engine.run(inputs)[0]
        self.run = run
        run()
        np.save(req["out"], np.asarray(out[0], np.float32))
        return {"isa": "", "note": ""}


ENGINES = {e.name: e for e in (TorchEngine, SconvEngine, SconvChannelsLast, OnnxRuntimeEngine,
                               DeepSparseEngine)}


def main():
    channel = open_channel()
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in ENGINES:
        hello(channel, error=f"unknown engine {name!r}")
        return 1
    try:
        engine = ENGINES[name]()
        version = engine.version()
    except Exception as e:  # an engine missing from this interpreter: the row says why
        hello(channel, error=f"{type(e).__name__}: {e}", python=sys.executable)
        return 0
    hello(channel, version=version, python=sys.executable)

    def handle(req):
        cmd = req["cmd"]
        if cmd == "setup":
            return engine.setup(req)
        if cmd == "calibrate":
            t0 = time.perf_counter()
            engine.run()
            return {"s": time.perf_counter() - t0}
        if cmd == "sample":
            return {"s": one_sample(engine.run, int(req["inner"]), bool(req["warm"]))}
        if cmd == "layers":
            return engine.layers()
        if cmd == "teardown":
            engine.run = engine.model = None
            return {}
        raise ValueError(f"unknown request {cmd!r}")
    serve(channel, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
