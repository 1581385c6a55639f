"""bench/peers/onnx_conv.py: one dumped sconv-bench point as a one-node ONNX Conv model (NCHW, no bias)."""
import numpy as np
from onnx import TensorProto, helper, numpy_helper


def conv_model(point, weights):
    """The ONNX model (bytes) computing y = conv(x, weights) with the point's stride, symmetric
    pad, dilation and groups; x is (batch, cin, h, w) float32, y (batch, cout, oh, ow)."""
    p = point
    x_shape = [p["batch"], p["cin"], p["h"], p["w"]]
    y_shape = [p["batch"], p["cout"], p["oh"], p["ow"]]
    node = helper.make_node(
        "Conv", ["x", "w"], ["y"], kernel_shape=[p["kh"], p["kw"]],
        strides=[p["stride"]] * 2, pads=[p["pad"]] * 4, dilations=[p["dilation"]] * 2,
        group=p["groups"])
    graph = helper.make_graph(
        [node], "sconv_point",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
        [numpy_helper.from_array(np.ascontiguousarray(weights, dtype=np.float32), "w")])
    # opset 13 and IR 7: within what every runtime the bench drives (DeepSparse 1.8 too) reads
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    return model.SerializeToString()
