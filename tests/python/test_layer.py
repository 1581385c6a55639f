# tests/python/test_layer.py: Layer from dense weights and masks, weights back out, .sconv files
import copy
import os
import pickle
import tempfile
import unittest

import numpy as np
import torch

import sconv
from helpers import weights

# axis permutation from OIHW to each layout (numpy.transpose style)
PERM = {'oihw': (0, 1, 2, 3), 'ohwi': (0, 2, 3, 1), 'hwio': (2, 3, 1, 0)}


class TestLayer(unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(7)
        self.tmp = tempfile.TemporaryDirectory(dir=os.environ['SCONV_TMP'])

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_every_layout_with_a_mask_round_trips(self):
        w = weights(self.rng, (6, 4, 3, 2), 0.0)
        keep = self.rng.random(w.shape) < 0.4
        want = np.where(keep, w, 0)
        for layout, perm in PERM.items():
            layer = sconv.Layer(w.transpose(perm), keep.transpose(perm), layout=layout)
            self.assertEqual(layer.shape, (6, 4, 3, 2), layout)
            self.assertEqual(layer.layout, layout)
            self.assertEqual(layer.nnz, int(keep.sum()))
            self.assertAlmostEqual(layer.sparsity, 1 - keep.sum() / w.size)
            for out_layout, out_perm in PERM.items():
                np.testing.assert_array_equal(layer.weights(out_layout), want.transpose(out_perm))
            np.testing.assert_array_equal(layer.weights(), want.transpose(perm))
            np.testing.assert_array_equal(layer.mask('oihw'), keep)

    def test_without_mask_keeps_the_nonzeros_and_takes_torch(self):
        w = weights(self.rng, (4, 2, 3, 3))
        layer = sconv.Layer(torch.from_numpy(w), bias=torch.arange(4.0), stride=(2, 1),
                            padding=(1, 0, 2, 1), dilation=2, groups=1, name='c')
        np.testing.assert_array_equal(layer.weights(), w)
        self.assertEqual(layer.nnz, int((w != 0).sum()))
        self.assertEqual((layer.stride, layer.padding, layer.dilation),
                         ((2, 1), (1, 0, 2, 1), (2, 2)))
        np.testing.assert_array_equal(layer.bias, np.arange(4.0, dtype=np.float32))
        self.assertEqual(layer.name, 'c')
        self.assertEqual(layer.kind, 'conv')
        self.assertIsNone(sconv.Layer(w).bias)

    def test_save_load_single(self):
        w = weights(self.rng, (8, 3, 3, 3))
        layer = sconv.prune(w, sparsity=0.75, padding=1, bias=np.ones(8), name='conv1')
        layer.save(self.path('one.sconv'))
        back = sconv.load(self.path('one.sconv'))
        np.testing.assert_array_equal(back.weights(), layer.weights())
        np.testing.assert_array_equal(back.bias, np.ones(8, np.float32))
        self.assertEqual((back.name, back.padding, back.nnz), ('conv1', (1, 1, 1, 1), layer.nnz))
        self.assertEqual(back.method, 'l1')
        self.assertIn('amount=0.75', back.method_params)

    def test_copies_own_their_packed_weights(self):
        w = weights(self.rng, (8, 3, 3, 3))
        layer = sconv.prune(w, sparsity=0.6, stride=2, padding=1, bias=np.arange(8), name='c')
        copies = [copy.copy(layer), copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))]
        want = layer.weights()
        del layer  # the copies must not share (and then free twice) its sc_layer
        for c in copies:
            np.testing.assert_array_equal(c.weights(), want)
            np.testing.assert_array_equal(c.bias, np.arange(8, dtype=np.float32))
            self.assertEqual((c.name, c.stride, c.padding, c.method), ('c', (2, 2), (1, 1, 1, 1), 'l1'))
        x = self.rng.standard_normal((1, 3, 9, 9)).astype(np.float32)
        outs = [sconv.Conv2d(c)(x) for c in copies]
        del copies
        for y in outs[1:]:
            np.testing.assert_array_equal(y, outs[0])

    def test_save_load_several(self):
        layers = [sconv.prune(weights(self.rng, (4, 4, k, k)), sparsity=0.5, name=f'l{k}')
                  for k in (1, 3, 5)]
        sconv.save(self.path('many.sconv'), layers)
        everything = sconv.load_all(self.path('many.sconv'))
        self.assertEqual(list(everything), ['l1', 'l3', 'l5'])
        for layer in layers:
            np.testing.assert_array_equal(everything[layer.name].weights(), layer.weights())
        np.testing.assert_array_equal(sconv.load(self.path('many.sconv'), 'l3').weights(),
                                      layers[1].weights())
        with self.assertRaisesRegex(sconv.InvalidArgumentError, "'l1', 'l3', 'l5'"):
            sconv.load(self.path('many.sconv'))
        with self.assertRaisesRegex(sconv.InvalidArgumentError, 'nope'):
            sconv.load(self.path('many.sconv'), 'nope')
        with self.assertRaisesRegex(sconv.InvalidArgumentError, 'duplicate|distinct|twice'):
            sconv.save(self.path('dup.sconv'), [layers[0], layers[0]])

    def test_bad_files(self):
        with self.assertRaises(sconv.FileIOError) as cm:
            sconv.load(self.path('missing.sconv'))
        self.assertIsInstance(cm.exception, OSError)
        self.assertIn('missing.sconv', str(cm.exception))
        with open(self.path('junk.sconv'), 'wb') as f:
            f.write(b'\x10\x00\x00\x00\x00\x00\x00\x00{"not": "a layer"}')
        with self.assertRaises(sconv.FormatError):
            sconv.load(self.path('junk.sconv'))
        sconv.prune(weights(self.rng, (4, 4, 3, 3)), sparsity=0.5).save(self.path('ok.sconv'))
        with open(self.path('ok.sconv'), 'rb') as f:
            data = bytearray(f.read())
        with open(self.path('short.sconv'), 'wb') as f:
            f.write(data[:len(data) - 7])
        with self.assertRaises(sconv.FormatError):
            sconv.load_all(self.path('short.sconv'))
        data[-3] ^= 0x55  # a flipped value byte: the layer's CRC-32 no longer matches
        with open(self.path('flip.sconv'), 'wb') as f:
            f.write(data)
        with self.assertRaisesRegex(sconv.FormatError, '(?i)crc'):
            sconv.load(self.path('flip.sconv'))

    def test_invalid_arguments(self):
        w = weights(self.rng, (4, 2, 3, 3))
        cases = [
            (dict(layout='nchw'), sconv.InvalidArgumentError, 'nchw'),
            (dict(layout=3), sconv.InvalidTypeError, 'layout'),
            (dict(stride=0), sconv.InvalidArgumentError, 'stride 0'),
            (dict(stride=1 << 64), sconv.InvalidArgumentError, 'int64'),
            (dict(stride=(1, 2, 3)), sconv.InvalidArgumentError, 'stride'),
            (dict(padding='same'), sconv.InvalidArgumentError, 'padding'),
            (dict(groups=3), sconv.InvalidArgumentError, 'groups'),
            (dict(bias=np.ones(3)), sconv.InvalidArgumentError, '3 values for 4'),
            (dict(order='xyz'), sconv.InvalidArgumentError, 'xyz'),
        ]
        for kwargs, exc, text in cases:
            with self.assertRaisesRegex(exc, text, msg=str(kwargs)):
                sconv.Layer(w, **kwargs)
        with self.assertRaisesRegex(sconv.InvalidArgumentError, '3-D'):
            sconv.Layer(w[0])
        with self.assertRaisesRegex(sconv.InvalidArgumentError, 'mask: shape'):
            sconv.Layer(w, np.ones((4, 2, 3, 2)))
        with self.assertRaisesRegex(sconv.InvalidTypeError, 'real numbers'):
            sconv.Layer(w.astype(np.complex64))
        with self.assertRaises(sconv.NumericError):
            sconv.prune(np.full((2, 2, 1, 1), np.nan, np.float32), sparsity=0.5)


if __name__ == '__main__':
    unittest.main()
