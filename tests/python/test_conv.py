# tests/python/test_conv.py: Conv2d on NumPy arrays and torch tensors in every layout and view
import unittest
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

import sconv
from helpers import assert_close, ref_conv, weights

# (oc, icg, kh, kw, stride, padding (t, l, b, r), dilation, groups)
SHAPES = [(8, 4, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),
          (6, 3, 3, 2, (2, 1), (0, 1, 2, 0), (1, 2), 2),
          (12, 1, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1), 12),  # depthwise
          (16, 8, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1), 1)]


class TestConv(unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(3)

    def layer(self, shape, sparsity=0.7, bias=True):
        oc, icg, kh, kw, stride, padding, dilation, groups = shape
        w = weights(self.rng, (oc, icg, kh, kw), sparsity)
        b = self.rng.standard_normal(oc).astype(np.float32) if bias else None
        return sconv.Layer(w, stride=stride, padding=padding, dilation=dilation,
                           groups=groups, bias=b), b

    def check(self, layer, bias, x_nchw, y_nchw, act=None, what=''):
        ref, bound = ref_conv(x_nchw, layer.weights('oihw'), bias, layer.stride,
                              layer.padding, layer.dilation, layer.groups, act)
        oc, icg, kh, kw = layer.shape
        assert_close(self, y_nchw, ref, bound, icg * kh * kw + 1, what)

    def test_numpy_and_torch_in_every_layout(self):
        for shape in SHAPES:
            layer, b = self.layer(shape)
            c = shape[1] * shape[7]
            x = self.rng.standard_normal((2, c, 9, 10)).astype(np.float32)
            for engine in ('sparse', 'dense'):
                conv = sconv.Conv2d(layer, engine=engine)
                tag = f'{shape} {engine}'
                y = conv(x)  # NumPy NCHW -> NumPy NCHW, C-contiguous
                self.assertIsInstance(y, np.ndarray)
                self.assertTrue(y.flags.c_contiguous)
                self.check(layer, b, x, y, what=tag + ' numpy nchw')
                xt = torch.from_numpy(x)
                yt = conv(xt)
                self.assertTrue(isinstance(yt, torch.Tensor) and yt.is_contiguous())
                self.check(layer, b, x, yt.numpy(), what=tag + ' torch nchw')
                xcl = xt.to(memory_format=torch.channels_last)
                ycl = conv(xcl)
                self.assertTrue(ycl.is_contiguous(memory_format=torch.channels_last), tag)
                self.check(layer, b, x, ycl.numpy(), what=tag + ' torch channels_last')
                nhwc = sconv.Conv2d(layer, engine=engine, layout='nhwc')
                yh = nhwc(np.ascontiguousarray(x.transpose(0, 2, 3, 1)))  # Keras arrays
                self.assertTrue(yh.flags.c_contiguous, tag)
                self.check(layer, b, x, yh.transpose(0, 3, 1, 2), what=tag + ' numpy nhwc')
                yh2 = nhwc(x.transpose(0, 2, 3, 1))  # an NHWC-axes view of NCHW memory
                self.check(layer, b, x, yh2.transpose(0, 3, 1, 2), what=tag + ' nhwc view')
                self.assertTrue(yh2.transpose(0, 3, 1, 2).flags.c_contiguous, tag)

    def test_strided_views(self):
        layer, b = self.layer(SHAPES[0])
        conv = sconv.Conv2d(layer, act='relu')
        big = torch.randn(3, 12, 20, 22, generator=torch.Generator().manual_seed(5))
        views = {'channel slice': big[:, 5:9],
                 'spatial step': big[:, 2:6, ::2, 1::3],
                 'batch step': big[::2, :4, 3:12, 4:15],
                 'channels_last slice': big.to(memory_format=torch.channels_last)[:, 3:7, 1:],
                 'broadcast': torch.randn(1, 4, 1, 9).expand(2, 4, 7, 9),
                 'numpy slice': big.numpy()[1:, 8:, 5:, :-3]}
        for name, x in views.items():
            y = conv(x)
            self.assertEqual(type(y), type(x), name)
            self.check(layer, b, np.asarray(x), np.asarray(y), 'relu', name)

    def test_out_any_strides_and_nothing_else_written(self):
        layer, b = self.layer(SHAPES[1])
        conv = sconv.Conv2d(layer, act=('clamp', -0.5, 0.75))
        x = torch.randn(2, 6, 9, 10)
        yshape = tuple(conv(x).shape)
        buf = torch.full((2, 10, 12, 14), 7.0)
        out = buf[:, 2:8, 3:3 + yshape[2], 1:1 + yshape[3]]
        self.assertIs(conv(x, out=out), out)
        self.check(layer, b, x.numpy(), out.numpy(), ('clamp', -0.5, 0.75), 'out view')
        mask = torch.ones_like(buf, dtype=torch.bool)
        mask[:, 2:8, 3:3 + yshape[2], 1:1 + yshape[3]] = False
        self.assertTrue(bool((buf[mask] == 7).all()), 'out= wrote outside its view')
        out_np = np.zeros(yshape, np.float32).transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2)
        conv(x.numpy(), out=out_np)
        self.check(layer, b, x.numpy(), out_np, ('clamp', -0.5, 0.75), 'numpy out nhwc memory')

    def test_plans_cached_per_geometry(self):
        layer, b = self.layer(SHAPES[3])
        conv = sconv.Conv2d(layer, act='relu6', bias=np.zeros(16), threads=2)
        xs = [torch.randn(1, 8, 5, 6), torch.randn(2, 8, 7, 3),
              torch.randn(1, 8, 5, 6).to(memory_format=torch.channels_last)]
        for x in xs + xs[::-1]:
            self.check(layer, np.zeros(16), x.numpy(), conv(x).numpy(), 'relu6', str(x.shape))
        self.assertEqual(len(conv._plans), 3)
        self.assertIn(conv.describe()['engine'], ('sparse', 'dense'))

    def test_concurrent_calls_agree(self):
        layer, b = self.layer(SHAPES[0])
        conv = sconv.Conv2d(layer, threads=1)
        xs = [torch.randn(1, 4, 8, 8) for _ in range(4)]
        want = [conv(x) for x in xs]
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda i: conv(xs[i % 4]), range(64)))
        for i, y in enumerate(got):
            self.assertTrue(torch.equal(y, want[i % 4]), f'call {i}')

    def test_layer_lives_as_long_as_the_operator(self):
        layer, b = self.layer(SHAPES[0])
        want = sconv.Conv2d(layer)(np.ones((1, 4, 6, 6), np.float32))
        conv = sconv.Conv2d(layer)
        del layer  # the operator's reference keeps the packed weights alive
        np.testing.assert_array_equal(conv(np.ones((1, 4, 6, 6), np.float32)), want)

    def test_accumulate_adds_out_before_the_activation(self):
        """conv(x, out=y, accumulate=True) gives act(conv(x) + bias + y_old), against torch in
        float64, for NumPy and channels_last torch outputs and a channel slice."""
        for shape in SHAPES:
            layer, b = self.layer(shape)
            c = shape[1] * shape[7]
            x = self.rng.standard_normal((2, c, 9, 10)).astype(np.float32)
            ref, bound = ref_conv(x, layer.weights('oihw'), b, layer.stride, layer.padding,
                                  layer.dilation, layer.groups)
            y_old = self.rng.standard_normal(ref.shape).astype(np.float32)
            oc, icg, kh, kw = layer.shape
            k = icg * kh * kw + 2
            for engine in ('sparse', 'dense'):
                for act in (None, 'relu', 'relu6'):
                    tag = f'{shape} {engine} {act}'
                    want = ref + y_old
                    if act is not None:
                        want = np.clip(want, 0, 6 if act == 'relu6' else None)
                    conv = sconv.Conv2d(layer, act=act, engine=engine)
                    y = y_old.copy()
                    self.assertIs(conv(x, out=y, accumulate=True), y)
                    assert_close(self, y, want, bound + np.abs(y_old), k, tag + ' numpy')
                    yt = torch.from_numpy(y_old).contiguous(memory_format=torch.channels_last)
                    conv(torch.from_numpy(x), out=yt, accumulate=True)
                    assert_close(self, yt.numpy(), want, bound + np.abs(y_old), k,
                                 tag + ' torch channels_last')
                    big = np.full((2, oc + 3, ref.shape[2], ref.shape[3]), 7.0, np.float32)
                    big[:, 1:oc + 1] = y_old
                    conv(x, out=big[:, 1:oc + 1], accumulate=True)
                    assert_close(self, big[:, 1:oc + 1], want, bound + np.abs(y_old), k,
                                 tag + ' channel slice')
                    self.assertTrue((big[:, 0] == 7).all() and (big[:, oc + 1:] == 7).all())
                    # the plain plan of the same geometry still only writes
                    y2 = y_old.copy()
                    conv(x, out=y2)
                    plain = ref if act is None else np.clip(ref, 0, 6 if act == 'relu6' else None)
                    assert_close(self, y2, plain, bound, k, tag + ' plain after accumulate')

    def test_accumulate_errors(self):
        layer, _ = self.layer(SHAPES[3])  # 1x1, 8 -> 16 channels
        conv = sconv.Conv2d(layer)
        x = self.rng.standard_normal((1, 8, 5, 5)).astype(np.float32)
        y = np.zeros((1, 16, 5, 5), np.float32)
        with self.assertRaisesRegex(ValueError, 'accumulate=True adds into out'):
            conv(x, accumulate=True)
        for bad in ('yes', 2, None):
            with self.assertRaisesRegex(ValueError, 'accumulate'):
                conv(x, out=y, accumulate=bad)
        with self.assertRaisesRegex(ValueError, 'shape'):
            conv(x, out=y[:, :8], accumulate=True)
        self.assertTrue((y == 0).all())
        square = sconv.Conv2d(sconv.Layer(np.ones((8, 8, 1, 1), np.float32)))
        with self.assertRaisesRegex(sconv.Error, 'overlap'):
            square(x, out=x, accumulate=True)  # out is the input


if __name__ == '__main__':
    unittest.main()
