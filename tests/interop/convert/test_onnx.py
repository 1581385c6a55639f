# tests/interop/convert/test_onnx.py: sconv.onnx against ONNX Runtime and a float64 oracle
"""Hand-built one-node graphs (pads, strides, dilations, groups, auto_pad, bias, Constant
weights) run on ONNX Runtime and on sconv; every refusal names its node; the pruned
ResNet-50 that export_resnet.py wrote (SCONV_RESNET) has every conv checked against ONNX
Runtime's value of that conv's output."""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import sconv
import sconv.onnx
from oracle import assert_close, conv_ref

F = TensorProto.FLOAT


def one_conv(w, bias=None, x_shape=(1, 4, 9, 10), w_dtype=np.float32, weight_from='init',
             op='Conv', name='c0', **attrs):
    """A model y = Conv(x, w[, b]) with w an initializer, a Constant or a graph input."""
    inputs = [helper.make_tensor_value_info('x', F, list(x_shape))]
    inits, nodes = [], []
    wt = numpy_helper.from_array(np.asarray(w, w_dtype), 'w')
    if weight_from == 'init':
        inits.append(wt)
    elif weight_from == 'constant':
        nodes.append(helper.make_node('Constant', [], ['w'], value=wt))
    else:
        inputs.append(helper.make_tensor_value_info('w', F, list(np.shape(w))))
    names = ['x', 'w']
    if bias is not None:
        inits.append(numpy_helper.from_array(np.asarray(bias, np.float32), 'b'))
        names.append('b')
    nodes.append(helper.make_node(op, names, ['y'], name=name, **attrs))
    graph = helper.make_graph(nodes, 'g', inputs, [helper.make_tensor_value_info('y', F, None)],
                              inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])


def run_ort(model, feeds):
    sess = ort.InferenceSession(model.SerializeToString(), providers=['CPUExecutionProvider'])
    return sess.run(None, feeds)


class TestSmallGraphs(unittest.TestCase):
    def check(self, what, w, bias, x_shape, expect, ort_runs=True, **attrs):
        """Import the one-conv model, compare its parameters with expect (stride, pads,
        dilation, groups) and its output with the float64 oracle's and ONNX Runtime's
        (which refuses mixed weight types and dilated auto_pad SAME)."""
        rng = np.random.default_rng(len(what))
        model = one_conv(w, bias, x_shape, **attrs)
        x = rng.standard_normal(x_shape).astype(np.float32)
        y_ort = run_ort(model, {'x': x})[0] if ort_runs else None
        layers = sconv.onnx.layers(model)
        self.assertEqual(list(layers), ['c0'], what)
        layer = layers['c0']
        self.assertEqual((layer.stride, layer.padding, layer.dilation, layer.groups), expect,
                         what)
        np.testing.assert_array_equal(layer.weights('oihw'), np.asarray(w, np.float32))
        ref, bound = conv_ref(x, w, bias, *expect)
        k = w.shape[1] * w.shape[2] * w.shape[3] + 1
        for layout, xin, back in (('nchw', x, lambda y: y),
                                  ('nhwc', x.transpose(0, 2, 3, 1).copy(),
                                   lambda y: y.transpose(0, 3, 1, 2))):
            y = back(sconv.Conv2d(layer, threads=1, layout=layout)(xin))
            assert_close(self, y, ref, bound, k, f'{what} {layout} vs float64')
            if ort_runs:
                assert_close(self, y, y_ort.astype(np.float64), bound, 2 * k,
                             f'{what} {layout} vs onnxruntime')

    def weights(self, shape, seed=1):
        w = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
        w[np.random.default_rng(seed + 1).random(shape) < 0.6] = 0
        return w

    def test_pads_strides_bias(self):
        w = self.weights((6, 4, 3, 3))
        self.check('pads [1,0,2,1] strides [2,1]', w, np.linspace(-1, 1, 6), (1, 4, 9, 10),
                   ((2, 1), (1, 0, 2, 1), (1, 1), 1), pads=[1, 0, 2, 1], strides=[2, 1])

    def test_dilation_rect_kernel(self):
        w = self.weights((5, 4, 3, 2))
        self.check('dilations [2,3]', w, None, (2, 4, 11, 12), ((1, 1), (2, 1, 2, 1), (2, 3), 1),
                   dilations=[2, 3], pads=[2, 1, 2, 1], kernel_shape=[3, 2])

    def test_groups_and_depthwise(self):
        self.check('group 2', self.weights((6, 2, 3, 3)), np.ones(6), (1, 4, 8, 8),
                   ((1, 1), (1, 1, 1, 1), (1, 1), 2), group=2, pads=[1, 1, 1, 1])
        self.check('depthwise', self.weights((8, 1, 3, 3)), None, (1, 4, 8, 9),
                   ((2, 2), (0, 0, 0, 0), (1, 1), 4), group=4, strides=[2, 2])

    def test_auto_pad(self):
        w = self.weights((3, 4, 3, 3))
        # 9 rows, stride 2: 5 outputs need 2 pad rows; 10 columns: 1 pad column, which
        # SAME_UPPER puts at the end and SAME_LOWER at the start.
        self.check('SAME_UPPER', w, None, (1, 4, 9, 10), ((2, 2), (1, 0, 1, 1), (1, 1), 1),
                   auto_pad='SAME_UPPER', strides=[2, 2])
        self.check('SAME_LOWER', w, None, (1, 4, 9, 10), ((2, 2), (1, 1, 1, 0), (1, 1), 1),
                   auto_pad='SAME_LOWER', strides=[2, 2])
        self.check('VALID', w, None, (1, 4, 9, 10), ((1, 1), (0, 0, 0, 0), (1, 1), 1),
                   auto_pad='VALID')
        self.check('SAME_UPPER dilated', self.weights((3, 4, 2, 2)), None, (1, 4, 7, 6),
                   ((1, 1), (1, 1, 1, 1), (2, 2), 1), ort_runs=False, auto_pad='SAME_UPPER',
                   dilations=[2, 2])

    def test_auto_pad_dynamic_size(self):
        w = self.weights((3, 4, 3, 3))
        stride1 = one_conv(w, x_shape=('n', 4, 'h', 'w'), auto_pad='SAME_UPPER')
        self.assertEqual(sconv.onnx.layers(stride1)['c0'].padding, (1, 1, 1, 1))
        stride2 = one_conv(w, x_shape=('n', 4, 'h', 'w'), auto_pad='SAME_UPPER', strides=[2, 2])
        with self.assertRaises(sconv.InvalidArgumentError) as e:
            sconv.onnx.layers(stride2)
        self.assertIn("Conv 'c0': auto_pad SAME_UPPER with strides [2, 2] depends on the "
                      "input size of 'x'", str(e.exception))
        fixed = sconv.onnx.layers(stride2, input_shapes={'x': (1, 4, 9, 10)})
        self.assertEqual(fixed['c0'].padding, (1, 0, 1, 1))
        with self.assertRaisesRegex(sconv.InvalidArgumentError, "no graph input 'y'"):
            sconv.onnx.layers(stride2, input_shapes={'y': (1, 4, 9, 10)})

    def test_constant_and_other_float_weights(self):
        w = self.weights((3, 4, 1, 1))
        self.check('Constant weights', w, None, (1, 4, 5, 5), ((1, 1), (0, 0, 0, 0), (1, 1), 1),
                   weight_from='constant')
        w16 = w.astype(np.float16).astype(np.float32)
        self.check('float16 weights', w16, None, (1, 4, 5, 5),
                   ((1, 1), (0, 0, 0, 0), (1, 1), 1), ort_runs=False, w_dtype=np.float16)
        self.check('float64 weights', w, None, (1, 4, 5, 5), ((1, 1), (0, 0, 0, 0), (1, 1), 1),
                   ort_runs=False, w_dtype=np.float64)

    def test_unnamed_node_takes_its_output_name(self):
        model = one_conv(self.weights((3, 4, 1, 1)), name='')
        self.assertEqual(list(sconv.onnx.layers(model)), ['y'])


class TestRefusals(unittest.TestCase):
    def refused(self, cls, text, model, **kwargs):
        with self.assertRaises(cls) as e:
            sconv.onnx.layers(model, **kwargs)
        self.assertIn(text, str(e.exception))

    def test_each_refusal_names_the_node(self):
        w = np.ones((3, 4, 3, 3), np.float32)
        self.refused(sconv.UnsupportedError, "ConvTranspose 'c0': only Conv (2-D, float) is "
                     'supported', one_conv(np.ones((4, 3, 3, 3), np.float32), op='ConvTranspose'))
        self.refused(sconv.UnsupportedError, "Conv 'c0': weights of shape [3, 4, 3] make a 1-D "
                     'convolution: only 2-D is supported',
                     one_conv(np.ones((3, 4, 3), np.float32), x_shape=(1, 4, 9)))
        self.refused(sconv.UnsupportedError, "Conv 'c0': weights of shape [3, 4, 3, 3, 3] make "
                     'a 3-D convolution', one_conv(np.ones((3, 4, 3, 3, 3), np.float32),
                                                   x_shape=(1, 4, 5, 5, 5)))
        self.refused(sconv.UnsupportedError, "Conv 'c0': weight 'w' is not an initializer or a "
                     'Constant', one_conv(w, weight_from='input'))
        self.refused(sconv.UnsupportedError, "Conv 'c0': weight 'w' has dtype int8: expected "
                     'floating point', one_conv(w, w_dtype=np.int8))
        big = np.full((3, 4, 3, 3), 1e300)
        self.refused(sconv.InvalidArgumentError, "Conv 'c0': weight 'w' has values that are not "
                     'finite in float32', one_conv(big, w_dtype=np.float64))
        self.refused(sconv.InvalidArgumentError, "Conv 'c0': kernel_shape [3, 2] differs from "
                     'the weights [3, 4, 3, 3]', one_conv(w, kernel_shape=[3, 2]))
        self.refused(sconv.InvalidArgumentError, "Conv 'c0': auto_pad 'SAME': expected NOTSET",
                     one_conv(w, auto_pad='SAME'))
        self.refused(sconv.InvalidArgumentError, "Conv 'c0': pads [1, 1]: expected 4 values",
                     one_conv(w, pads=[1, 1]))
        # The library's own rules, said of the node.
        self.refused(sconv.InvalidArgumentError, "onnx: Conv 'c0': conv: padding (top -1, "
                     'left 0, bottom 0, right 0): each must be in', one_conv(w, pads=[-1, 0, 0, 0]))
        self.refused(sconv.InvalidArgumentError, "onnx: Conv 'c0': layer: groups = 2 does not "
                     'divide the 3 output channels', one_conv(np.ones((3, 2, 3, 3), np.float32),
                                                              group=2))
        self.refused(sconv.InvalidArgumentError, "onnx: Conv 'c0': bias: 2 values for 3 output "
                     'channels', one_conv(w, np.ones(2)))

    def test_arguments(self):
        self.refused(sconv.InvalidArgumentError, 'model: int: expected a path or an '
                     'onnx.ModelProto', 3)
        self.refused(sconv.InvalidArgumentError, 'skip: no Conv named nope',
                     one_conv(np.ones((3, 4, 1, 1), np.float32)), skip=['nope'])
        relu = helper.make_model(helper.make_graph(
            [helper.make_node('Relu', ['x'], ['y'])], 'g',
            [helper.make_tensor_value_info('x', F, [1])],
            [helper.make_tensor_value_info('y', F, [1])]))
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(sconv.InvalidArgumentError, 'the model has no Conv'):
                sconv.onnx.convert(relu, os.path.join(tmp, 'none.sconv'))
            self.assertEqual(os.listdir(tmp), [])

    def test_without_the_onnx_package(self):
        code = ('import sys; sys.modules["onnx"] = None\n'
                'import sconv.onnx\n'
                'try:\n'
                '    sconv.onnx.layers("m.onnx")\n'
                'except ModuleNotFoundError as e:\n'
                '    print(e)\n')
        r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('sconv.onnx needs the onnx package', r.stdout)
        self.assertIn('pip install onnx', r.stdout)


def resnet_path():
    return os.environ['SCONV_RESNET']


class TestResNet50(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        model = onnx.load(resnet_path())
        convs = [n for n in model.graph.node if n.op_type == 'Conv']
        wanted = []
        for n in convs:  # each conv's input and output become graph outputs
            wanted += [n.input[0], n.output[0]]
        have = {o.name for o in model.graph.output}
        for name in dict.fromkeys(wanted):
            if name not in have:
                model.graph.output.append(helper.make_tensor_value_info(name, F, None))
        x = np.random.default_rng(50).standard_normal((1, 3, 224, 224)).astype(np.float32)
        sess = ort.InferenceSession(model.SerializeToString(),
                                    providers=['CPUExecutionProvider'])
        names = [o.name for o in sess.get_outputs()]
        cls.values = dict(zip(names, sess.run(None, {'input': x})))
        cls.convs = convs
        cls.inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}

    def test_every_conv_equals_onnxruntime(self):
        layers = sconv.onnx.layers(resnet_path())
        self.assertEqual(list(layers), [n.name for n in self.convs])
        self.assertEqual(len(layers), 53)
        worst = (0.0, '')
        for node in self.convs:
            layer = layers[node.name]
            w = self.inits[node.input[1]]
            # The model's zeros are kept exactly: the layer holds its nonzeros and no others.
            np.testing.assert_array_equal(layer.weights('oihw'), w, node.name)
            self.assertEqual(layer.nnz, np.count_nonzero(w), node.name)
            x, y_ort = self.values[node.input[0]], self.values[node.output[0]]
            y = sconv.Conv2d(layer, threads=1, engine='sparse')(x)
            abs_layer = sconv.Layer(np.abs(w), layout='oihw', stride=layer.stride,
                                    padding=layer.padding, dilation=layer.dilation,
                                    groups=layer.groups,
                                    bias=None if layer.bias is None else np.abs(layer.bias))
            bound = sconv.Conv2d(abs_layer, threads=1)(np.abs(x)).astype(np.float64)
            k = w.shape[1] * w.shape[2] * w.shape[3] + 1
            err = assert_close(self, y, y_ort.astype(np.float64), bound, 2 * k, node.name)
            rel = err / float(np.max(np.abs(y_ort)))
            worst = max(worst, (rel, node.name))
        print(f'\n  ResNet-50: 53 convs, worst max|sconv - onnxruntime| / max|onnxruntime| = '
              f'{worst[0]:.2e} ({worst[1]})', file=sys.stderr)
        self.assertLess(worst[0], 1e-5)
        first = layers[self.convs[0].name]
        self.assertEqual(first.sparsity, 0.0)
        nnz = sum(layer.nnz for layer in list(layers.values())[1:])
        numel = sum(np.prod(layer.shape) for layer in list(layers.values())[1:])
        self.assertAlmostEqual(1 - nnz / numel, 0.9, delta=1e-4)  # as torch pruned it

    def test_global_pruning_into_one_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'resnet50.sconv')
            made = sconv.onnx.convert(resnet_path(), path, sparsity=0.95, skip_first=True)
            loaded = sconv.load_all(path)
        self.assertEqual(list(loaded), [n.name for n in self.convs])
        kept, removed, total = [], [], 0
        for i, node in enumerate(self.convs):
            w = self.inits[node.input[1]]
            got = loaded[node.name].weights('oihw')
            np.testing.assert_array_equal(got, made[node.name].weights('oihw'), node.name)
            if i == 0:
                np.testing.assert_array_equal(got, w, 'the first conv stays dense')
                self.assertEqual(loaded[node.name].method, '')
                continue
            self.assertEqual(loaded[node.name].method, 'global', node.name)
            # Kept weights are the model's own values; pruning only zeroes.
            np.testing.assert_array_equal(got[got != 0], w[got != 0], node.name)
            kept.append(np.abs(w[got != 0]))
            removed.append(np.abs(w[got == 0]))
            total += w.size
        kept, removed = np.concatenate(kept), np.concatenate(removed)
        # torch's count rule: round(0.95 * n) weights removed, ranked over all layers.
        self.assertEqual(removed.size, round(0.95 * total))
        self.assertGreaterEqual(kept.min(), removed.max())


if __name__ == '__main__':
    unittest.main()
