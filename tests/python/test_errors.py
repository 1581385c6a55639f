# tests/python/test_errors.py: every refused input raises sconv.Error with the reason; none crashes
import unittest

import numpy as np
import torch

import sconv


class FakeCuda(torch.Tensor):
    """A CPU tensor that reports a CUDA device, for machines without a GPU."""

    @property
    def device(self):
        return torch.device('cuda', 0)


class TestErrors(unittest.TestCase):
    def setUp(self):
        w = np.ones((4, 4, 3, 3), np.float32)
        self.conv = sconv.Conv2d(sconv.Layer(w, padding=1))
        self.x = np.ones((1, 4, 6, 6), np.float32)

    def raises(self, exc, text, x, **kwargs):
        with self.assertRaisesRegex(exc, text) as cm:
            self.conv(x, **kwargs)
        self.assertIsInstance(cm.exception, sconv.Error)
        return cm.exception

    def test_dtype_rank_and_type(self):
        self.raises(sconv.InvalidTypeError, 'dtype float64', self.x.astype(np.float64))
        self.raises(sconv.InvalidTypeError, 'dtype >f4', self.x.astype('>f4'))
        for dtype in (torch.float64, torch.int32):
            self.raises(sconv.InvalidTypeError, str(dtype), torch.ones(1, 4, 6, 6, dtype=dtype))
        self.raises(sconv.InvalidArgumentError, '3-D', self.x[0])
        self.raises(sconv.InvalidArgumentError, '3-D', torch.ones(4, 6, 6))
        e = self.raises(sconv.InvalidTypeError, 'builtins.list', self.x.tolist())
        self.assertIsInstance(e, TypeError)

    def test_devices(self):
        e = self.raises(sconv.UnsupportedError, 'device meta.*cpu',
                        torch.ones(1, 4, 6, 6, device='meta'))
        self.assertEqual(e.status, 4)  # SC_EUNSUPPORTED
        fake = torch.ones(1, 4, 6, 6).as_subclass(FakeCuda)
        self.assertEqual(fake.device.type, 'cuda')
        self.raises(sconv.UnsupportedError, 'device cuda:0', fake)
        self.raises(sconv.UnsupportedError, 'out: tensor on device cuda:0', self.x,
                    out=torch.ones(1, 4, 6, 6).as_subclass(FakeCuda))
        self.raises(sconv.InvalidArgumentError, 'torch.strided',
                    torch.ones(1, 4, 6, 6).to_sparse())

    def test_views_the_descriptors_cannot_express(self):
        self.raises(sconv.InvalidArgumentError, 'negative stride', self.x[:, :, ::-1])
        raw = np.zeros(4 * 6 * 6 * 4 + 2, np.uint8)[2:].view(np.float32).reshape(1, 4, 6, 6)
        self.raises(sconv.InvalidArgumentError, 'aligned', raw)
        self.raises(sconv.InvalidArgumentError, 'whole float32', np.lib.stride_tricks.as_strided(
            self.x, strides=(576, 144, 22, 4)))

    def test_shapes(self):
        self.raises(sconv.InvalidArgumentError, 'input has 5 channels',
                    np.ones((1, 5, 6, 6), np.float32))
        self.raises(sconv.InvalidArgumentError, 'extent n = 0', np.ones((0, 4, 6, 6), np.float32))
        small = sconv.Conv2d(sconv.Layer(np.ones((2, 1, 5, 5), np.float32)))
        with self.assertRaisesRegex(sconv.InvalidArgumentError, 'kernel|fit|5'):
            small(np.ones((1, 1, 3, 3), np.float32))

    def test_out(self):
        self.raises(sconv.InvalidArgumentError, r'out: shape \(1, 4, 6, 5\)', self.x,
                    out=np.zeros((1, 4, 6, 5), np.float32))
        ro = np.zeros((1, 4, 6, 6), np.float32)
        ro.flags.writeable = False
        self.raises(sconv.InvalidArgumentError, 'read-only', self.x, out=ro)
        self.raises(sconv.InvalidArgumentError, 'overlaps the input', self.x, out=self.x)
        self.raises(sconv.InvalidArgumentError, 'alias|overlap|share',
                    torch.ones(1, 4, 6, 6), out=torch.zeros(1, 4, 6, 1).expand(1, 4, 6, 6))
        self.raises(sconv.InvalidArgumentError, 'requires grad', self.x,
                    out=torch.zeros(1, 4, 6, 6, requires_grad=True))
        self.raises(sconv.InvalidTypeError, 'dtype', self.x, out=np.zeros((1, 4, 6, 6)))

    def test_options(self):
        layer = self.conv.layer
        for kwargs, text in ((dict(act='gelu'), 'gelu'), (dict(act=('clamp', 2, 1)), 'clamp'),
                             (dict(engine='gpu'), 'gpu'), (dict(layout='chwn'), 'chwn'),
                             (dict(kernel='sse'), 'sse'), (dict(auto_mode='x'), 'auto_mode'),
                             (dict(threads=-1), 'threads'), (dict(bias=[1, 2]), '2 values')):
            with self.assertRaisesRegex(sconv.InvalidArgumentError, text, msg=str(kwargs)):
                sconv.Conv2d(layer, **kwargs)
        with self.assertRaisesRegex(sconv.InvalidTypeError, 'sconv.Layer'):
            sconv.Conv2d(np.ones((4, 4, 3, 3)))

    def test_failed_calls_leave_the_operator_usable(self):
        good = self.conv(self.x)
        for bad in (self.x[:, :, ::-1], np.ones((1, 5, 6, 6), np.float32)):
            with self.assertRaises(sconv.Error):
                self.conv(bad)
        np.testing.assert_array_equal(self.conv(self.x), good)


if __name__ == '__main__':
    unittest.main()
