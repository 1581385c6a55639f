"""bench/peers/engines.py: the outside engines: ONNX Runtime and DeepSparse, each set up once per point.

An engine is a class with `name`, `version()`, `supports(point)` (None, or why not) and
`setup(point, weights, x, workdir)` returning a callable that runs one convolution and a
function returning the output of the last run. Imports happen inside, so each venv only
needs its own engine.
"""
import os

import numpy as np

from onnx_conv import conv_model


class OnnxRuntime:
    name = "onnxruntime"
    work = "dense"  # its CPU Conv multiplies the zeros: % of peak counts dense FLOPs

    def version(self):
        import onnxruntime
        return onnxruntime.__version__

    def supports(self, point):
        if point["layout"] != "nchw":
            return "ONNX Runtime's CPU Conv takes NCHW only (com.microsoft NhwcConv has no CPU kernel)"
        return None

    def setup(self, point, weights, x, workdir):
        import onnxruntime as ort
        opt = ort.SessionOptions()
        opt.intra_op_num_threads = point["threads"]
        opt.inter_op_num_threads = 1
        opt.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opt.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(conv_model(point, weights), sess_options=opt,
                                    providers=["CPUExecutionProvider"])
        y = np.empty((point["batch"], point["cout"], point["oh"], point["ow"]), np.float32)
        # bound buffers: a run writes into y, like the engines of sconv-bench, with no
        # allocation or copy in the timed call
        binding = sess.io_binding()
        binding.bind_cpu_input("x", np.ascontiguousarray(x))
        binding.bind_ortvalue_output("y", ort.OrtValue.ortvalue_from_numpy(y))
        return (lambda: sess.run_with_iobinding(binding)), (lambda: y)


class DeepSparse:
    name = "deepsparse"
    work = "nonzero"  # it runs sparse kernels on pruned weights

    def version(self):
        os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
        import deepsparse
        return deepsparse.__version__

    def supports(self, point):
        if point["layout"] != "nchw":
            return "DeepSparse takes NCHW ONNX models only"
        return None

    def setup(self, point, weights, x, workdir):
        os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")  # no usage report over the network
        from deepsparse import Engine
        path = os.path.join(workdir, "deepsparse_point.onnx")
        with open(path, "wb") as f:
            f.write(conv_model(point, weights))
        engine = Engine(model=path, batch_size=point["batch"], num_cores=point["threads"])
        inputs = [np.ascontiguousarray(x)]
        out = [None]

        def run():
            out[0] = engine.run(inputs)[0]
        return run, (lambda: out[0])


ENGINES = {"onnxruntime": OnnxRuntime, "deepsparse": DeepSparse}
