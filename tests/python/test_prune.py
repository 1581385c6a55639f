# tests/python/test_prune.py: prune(), mask() and mask_global() against torch.nn.utils.prune
import unittest

import numpy as np
import torch
import torch.nn.utils.prune as tprune

import sconv


def distinct_weights(rng, shape):
    """Weights with distinct magnitudes, so the kept set has no ties."""
    n = int(np.prod(shape))
    w = (rng.permutation(n) + 1).astype(np.float32) * rng.choice([-1, 1], n)
    return (w / n).reshape(shape).astype(np.float32)


class TestPrune(unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(11)

    def test_l1_equals_torch_l1_unstructured(self):
        for amount in (0.0, 0.3, 0.9, 1.0):
            w = distinct_weights(self.rng, (8, 3, 3, 3))
            conv = torch.nn.Conv2d(3, 8, 3, bias=False)
            conv.weight.data = torch.from_numpy(w.copy())
            tprune.l1_unstructured(conv, 'weight', amount=amount)
            want = conv.weight_mask.numpy() != 0
            np.testing.assert_array_equal(sconv.mask(w, sparsity=amount), want)
            layer = sconv.prune(w, sparsity=amount)
            np.testing.assert_array_equal(layer.weights(), np.where(want, w, 0))
            self.assertEqual(layer.nnz, int(want.sum()))

    def test_hwio_masks_the_same_weights(self):
        w = distinct_weights(self.rng, (6, 4, 3, 3))
        oihw = sconv.mask(w, sparsity=0.6)
        hwio = sconv.mask(w.transpose(2, 3, 1, 0), layout='hwio', sparsity=0.6)
        np.testing.assert_array_equal(hwio, oihw.transpose(2, 3, 1, 0))

    def test_global_equals_torch_global_unstructured(self):
        convs = [torch.nn.Conv2d(c, 2 * c, k, bias=False) for c, k in ((3, 3), (6, 1), (12, 3))]
        ws = []
        for conv in convs:
            w = distinct_weights(self.rng, tuple(conv.weight.shape)) * self.rng.uniform(0.5, 2)
            conv.weight.data = torch.from_numpy(w.astype(np.float32))
            ws.append(conv.weight.detach().numpy().copy())
        tprune.global_unstructured([(c, 'weight') for c in convs],
                                   pruning_method=tprune.L1Unstructured, amount=0.8)
        masks = sconv.mask_global(ws, sparsity=0.8)
        for conv, m in zip(convs, masks):
            np.testing.assert_array_equal(m, conv.weight_mask.numpy() != 0)
        self.assertEqual(sum(int(m.sum()) for m in masks),
                         sum(w.size for w in ws) - round(0.8 * sum(w.size for w in ws)))

    def test_structured_methods(self):
        w = distinct_weights(self.rng, (8, 4, 3, 3))
        nm = sconv.mask(w, method='nm:2:4', order='hwc').transpose(0, 2, 3, 1).reshape(8, -1)
        np.testing.assert_array_equal(nm.reshape(8, -1, 4).sum(axis=2), 2)
        filt = sconv.mask(w, sparsity=0.25, method='filter')
        norms = np.sqrt((w.astype(np.float64) ** 2).sum(axis=(1, 2, 3)))
        self.assertEqual(set(np.flatnonzero(~filt.any(axis=(1, 2, 3)))),
                         set(np.argsort(norms)[:2]))
        thr = sconv.mask(w, method='threshold', threshold=0.5)
        np.testing.assert_array_equal(thr, np.abs(w) >= 0.5)
        layer = sconv.prune(w, sparsity=0.5, method='block:4x1')
        self.assertEqual(layer.method, 'block')
        self.assertIn('block=4x1', layer.method_params)

    def test_errors(self):
        w = distinct_weights(self.rng, (4, 4, 1, 1))
        with self.assertRaisesRegex(sconv.InvalidArgumentError, 'sparsity='):
            sconv.mask(w)
        with self.assertRaisesRegex(sconv.InvalidArgumentError, 'magic'):
            sconv.mask(w, sparsity=0.5, method='magic')
        with self.assertRaisesRegex(sconv.InvalidArgumentError, 'keras'):
            sconv.mask(w, sparsity=0.5, convention='keras')
        with self.assertRaises(sconv.InvalidArgumentError):
            sconv.mask(w, sparsity=1.5)
        with self.assertRaisesRegex(sconv.InvalidArgumentError, '2 names for 1'):
            sconv.mask_global([w], sparsity=0.5, layouts=['oihw', 'hwio'])


if __name__ == '__main__':
    unittest.main()
