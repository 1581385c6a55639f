# tests/python/test_torch_linear.py: sparsify's SparseLinear against nn.Linear, masks, options
"""The oracle is torch's F.linear in float64 from the module's own (masked) weights, with
the bound 4 k eps32 (|W| |x| + |b|) of helpers.assert_close, k the input features."""
import copy
import pickle
import unittest

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as tprune

import sconv
import sconv.torch
from sconv.torch import SparseLinear

from helpers import EPS32


def linears(model):
    return {m.source: m for m in model.modules() if isinstance(m, SparseLinear)}


def ref_linear(x, w, b):
    """(float64 reference, bound) of x @ w.T + b."""
    x, w = x.double(), w.double()
    y = F.linear(x, w, None if b is None else b.double())
    bound = F.linear(x.abs(), w.abs(), None if b is None else b.double().abs())
    return y, bound


class TestSparseLinear(unittest.TestCase):
    def check(self, y, x, lin, label, w=None):
        w = lin.weight.detach() if w is None else w
        b = None if lin.bias is None else lin.bias.detach()
        ref, bound = ref_linear(x, w, b)
        self.assertEqual(y.shape, ref.shape, label)
        self.assertTrue(y.is_contiguous(), label)
        self.assertEqual(y.dtype, torch.float32, label)
        err = (y.double() - ref).abs() - 4 * w.shape[1] * EPS32 * (bound + 1e-30)
        self.assertLessEqual(float(err.max()) if err.numel() else 0, 0, label)

    def test_shapes_and_strided_inputs(self):
        torch.manual_seed(1)
        for bias in (True, False):
            lin = nn.Linear(24, 10, bias=bias).eval()
            sp = sconv.torch.sparsify(nn.Sequential(lin))
            self.assertEqual(list(linears(sp)), ['0'])
            big = torch.randn(6, 5, 4, 48)
            cases = {
                '1-D': torch.randn(24), 'batch 1': torch.randn(1, 24),
                'batch 4': torch.randn(4, 24), '3-D': torch.randn(2, 3, 24),
                '4-D': torch.randn(2, 3, 4, 24), '5-D': torch.randn(2, 1, 3, 2, 24),
                'transposed': torch.randn(24, 4).t(),
                'every other feature': big[0, 0, :, ::2],
                '3-D leading axes that do not flatten': big[:, :, 0, :24].transpose(0, 1),
                '4-D leading axes that do not flatten': big[:, :3, :, 24:].transpose(1, 2),
                '5-D leading axes that do not flatten': big[..., :24].transpose(0, 2)[None],
                'broadcast rows': torch.randn(24).expand(3, 24), 'empty': torch.randn(0, 24)}
            for label, x in cases.items():
                label = f'{label}, bias={bias}'
                with torch.inference_mode():
                    y = sp(x)
                self.check(y, x, lin, label)
                if y.numel():
                    self.assertEqual(y.stride(), lin(x).stride(), label)

    def test_views_reach_the_library_without_copy(self):
        # the planned input geometry holds the caller's strides: the library read x in place
        torch.manual_seed(2)
        sl = SparseLinear(sconv.Layer(torch.randn(7, 16, 1, 1)))
        big = torch.randn(4, 5, 32)
        x = big[:, :, 8:24].transpose(0, 1)  # (5, 4, 16): rows do not flatten
        with torch.inference_mode():
            sl(x)
        (xshape, xstrides, _, _), = sl.op._plans
        self.assertEqual((xshape, xstrides), ((5, 16, 4, 1), (32, 1, 160, 160)))
        with torch.inference_mode():
            sl(big[0, :, :16])  # (5, 16) rows 32 apart: one column of 5 pixels
        self.assertIn(((1, 16, 5, 1), (0, 1, 32, 32)), [k[:2] for k in sl.op._plans])

    def test_relu_fused_and_called_twice(self):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b, self.c = nn.Linear(8, 12), nn.Linear(12, 12), nn.Linear(12, 3)
                self.relu = nn.ReLU()

            def forward(self, x):
                h = self.relu(self.a(x))
                h = F.relu(self.b(h))
                g = self.b(h)  # second call, read twice: no activation fused
                return self.c(g + F.relu6(g))

        torch.manual_seed(3)
        model = Net().eval()
        sp = sconv.torch.sparsify(model)
        acts = {n: m.act for n, m in sp.named_modules() if isinstance(m, SparseLinear)}
        self.assertEqual(acts, {'a': 'relu', 'b_call1': 'relu', 'b_call2': None, 'c': None})
        x = torch.randn(5, 8)
        with torch.inference_mode():
            y = sp(x)
            ref = copy.deepcopy(model).double()(x.double())
        self.assertLessEqual(float((y.double() - ref).norm() / ref.norm()), 1e-6)

    def test_prune_masks_kept_exactly(self):
        torch.manual_seed(4)
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 4 * 4, 6)).eval()
        tprune.l1_unstructured(model[2], 'weight', amount=0.6)
        with torch.no_grad():  # a masked weight stays pruned; an unmasked 0 stores nothing
            keep = model[2].weight_mask.clone()
            i, j = (keep == 0).nonzero()[0].tolist()
            model[2].weight_orig[i, j] = 7.0
            k, l = keep.nonzero()[0].tolist()
            model[2].weight_orig[k, l] = 0.0
        want = keep.numpy() != 0
        want[k, l] = False
        w = model[2].weight_orig.detach() * keep
        x = torch.randn(2, 3, 6, 6)
        for sparsity in (None, 0.5):  # the classifier is not pruned by default
            sp = sconv.torch.sparsify(model, sparsity)
            m = linears(sp)['2']
            np.testing.assert_array_equal(m.layer.mask()[:, :, 0, 0], want, str(sparsity))
            np.testing.assert_array_equal(m.layer.weights()[:, :, 0, 0], w.numpy())
            self.assertEqual(m.layer.method, '')
            with torch.inference_mode():
                h = getattr(sp, '0')(x).flatten(1)
                self.check(m(h), h, model[2], f'sparsity {sparsity}', w)

    def test_prune_linear_global_with_convs(self):
        torch.manual_seed(5)
        model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                              nn.Flatten(), nn.Linear(8, 40), nn.ReLU(),
                              nn.Linear(40, 5)).eval()
        ref = copy.deepcopy(model)
        params = [(ref[i], 'weight') for i in (0, 4, 6)]
        with torch.no_grad():  # the masked weights stay leaves: the model deep-copies
            tprune.global_unstructured(params, pruning_method=tprune.L1Unstructured,
                                       amount=0.7)
        sp = sconv.torch.sparsify(model, 0.7, prune_linear=True)
        self.assertEqual({n: m.act for n, m in linears(sp).items()}, {'4': 'relu', '6': None})
        np.testing.assert_array_equal(
            getattr(sp, '0').layer.mask(), ref[0].weight_mask.numpy() != 0)
        for i in ('4', '6'):
            m = linears(sp)[i]
            np.testing.assert_array_equal(m.layer.mask()[:, :, 0, 0],
                                          ref[int(i)].weight_mask.numpy() != 0, i)
            self.assertEqual(m.layer.method, 'global')
        x = torch.randn(3, 3, 9, 9)
        with torch.inference_mode():
            y = sp(x)
            want = copy.deepcopy(ref).double()(x.double())
        self.assertLessEqual(float((y.double() - want).norm() / want.norm()), 1e-5)
        # skip names a linear too; per-layer methods prune each linear alone
        sp = sconv.torch.sparsify(model, 0.7, method='l1', prune_linear=True, skip=['6'])
        self.assertEqual(linears(sp)['6'].layer.nnz, 40 * 5)
        self.assertEqual(linears(sp)['4'].layer.nnz, round(0.3 * 8 * 40))

    def test_linear_false_copy_pickle_refusals(self):
        torch.manual_seed(6)
        model = nn.Sequential(nn.Linear(6, 4), nn.ReLU()).eval()
        off = sconv.torch.sparsify(model, linear=False)
        self.assertEqual(type(getattr(off, '0')), nn.Linear)
        self.assertEqual(linears(off), {})
        sp = sconv.torch.sparsify(model)
        x = torch.randn(3, 6)
        with torch.inference_mode():
            y = sp(x)
        for clone in (copy.deepcopy(sp), pickle.loads(pickle.dumps(sp))):
            a, b = getattr(clone, '0'), getattr(sp, '0')
            self.assertIsNot(a.layer, b.layer)
            self.assertIsNot(a.op, b.op)
            with torch.inference_mode():
                self.assertTrue(torch.equal(clone(x), y))
        self.assertIn("'0': in_features=6, out_features=4, bias=True", repr(getattr(sp, '0')))
        for opt in ('linear', 'prune_linear'):
            with self.assertRaisesRegex(sconv.InvalidArgumentError, f'{opt}: 1: expected'):
                sconv.torch.sparsify(model, **{opt: 1})
        with self.assertRaisesRegex(sconv.UnsupportedError, r"linear '0' has dtype "
                                    r'torch.float64'):
            sconv.torch.sparsify(copy.deepcopy(model).double())
        with self.assertRaisesRegex(sconv.InvalidArgumentError, r'input \(3, 5\): expected'):
            getattr(sp, '0')(torch.randn(3, 5))
        with self.assertRaisesRegex(sconv.InvalidTypeError, 'dtype torch.float64'):
            getattr(sp, '0')(torch.randn(3, 6, dtype=torch.float64))

    def test_weight_read_elsewhere_stays_in_torch(self):
        class Tied(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(5, 5)

            def forward(self, x):
                return self.fc(x) + self.fc.weight.sum()

        model = Tied().eval()
        sp = sconv.torch.sparsify(model)
        self.assertEqual(type(sp.fc), nn.Linear)
        x = torch.randn(2, 5)
        self.assertTrue(torch.equal(sp(x), model(x)))


if __name__ == '__main__':
    unittest.main()
