# tests/python/test_torch_sparsify.py: sparsify's fx chain rules, geometry, pruning options, errors
"""Each small model runs against itself in float64 (the oracle: PyTorch, BN unfolded);
structure checks name which BN was folded and which activation fused."""
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

TOL = 1e-5  # relative L2 error against float64 for these shallow models


def randomize_bn(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d) and m.running_mean is not None:
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=g))
                m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g))
    return model.eval()


def sparse(model):
    """source conv name -> (bn name, act) of each SparseConv2d."""
    return {m.source: (m.bn, m.act) for m in model.modules()
            if isinstance(m, sconv.torch.SparseConv2d)}


class Chains(nn.Module):
    """One chain per rule."""

    def __init__(self):
        super().__init__()
        c = lambda **kw: nn.Conv2d(4, 4, 3, padding=1, **kw)  # noqa: E731
        self.a, self.a_bn = c(bias=False), nn.BatchNorm2d(4)             # conv-BN-ReLU6
        self.a_act = nn.ReLU6(inplace=True)
        self.b, self.b_bn = c(), nn.BatchNorm2d(4)                       # conv-ReLU-BN
        self.c, self.c_bn = c(), nn.BatchNorm2d(4)                       # conv used twice
        self.d, self.d_bn = c(), nn.BatchNorm2d(4)                       # BN used twice
        self.e, self.e_bn = c(), nn.BatchNorm2d(4)                       # residual add
        self.relu = nn.ReLU(inplace=True)
        self.f = c()                                                     # F.relu inplace
        self.g = c()                                                     # .relu_()
        self.h = c()                                                     # torch.relu
        self.i = c()                                                     # F.relu6
        self.j = c()                                                     # hardtanh clamp
        self.k, self.k_bn = c(), nn.BatchNorm2d(4)                       # train-mode-free BN
        self.k_bn.track_running_stats = False
        self.k_bn.running_mean = self.k_bn.running_var = None

    def forward(self, x):
        a = self.a_act(self.a_bn(self.a(x)))
        b = self.b_bn(F.relu(self.b(a)))
        cc = self.c(b)
        c = self.c_bn(cc) + cc
        d = self.d_bn(self.d(c))
        d = F.relu(d) + d
        e = self.relu(self.e_bn(self.e(d)) + d)
        f = F.relu(self.f(e), inplace=True)
        g = self.g(f).relu_()
        h = torch.relu(self.h(g))
        i = F.relu6(self.i(h))
        j = F.hardtanh(self.j(i), -0.5, 0.5)
        return self.k_bn(self.k(j))


class TestChains(unittest.TestCase):
    def check(self, model, x, label, ref=None, **kw):
        sp = sconv.torch.sparsify(model, **kw)
        with torch.inference_mode():
            y = sp(x)
            ref = copy.deepcopy(ref or model).double()(x.double())
        self.assertEqual(y.shape, ref.shape, label)
        err = float((y.double() - ref).norm() / ref.norm())
        self.assertLessEqual(err, TOL, f'{label}: relative L2 error {err:.2e}')
        return sp

    def test_rules(self):
        torch.manual_seed(1)
        model = randomize_bn(Chains(), 2)
        for fuse_add in (False, True):
            sp = self.check(model, torch.randn(2, 4, 9, 9), 'chains', sparsity=None,
                            fuse_add=fuse_add)
            self.assertEqual(sparse(sp), {
                'a': ('a_bn', 'relu6'),        # bias=False + BN + ReLU6 module
                'b': (None, 'relu'),           # BN after the ReLU: not folded
                'c': (None, None),             # conv output also read by the add
                'd': ('d_bn', None),           # BN output read twice: ReLU not fused
                # the ReLU follows the residual add: fused with the add, or not at all
                'e': ('e_bn', 'relu' if fuse_add else None),
                'f': (None, 'relu'), 'g': (None, 'relu'), 'h': (None, 'relu'),
                'i': (None, 'relu6'), 'j': (None, ('clamp', -0.5, 0.5)),
                'k': (None, None)})            # BN with batch statistics stays
            adds = {m.source for m in sp.modules() if isinstance(m, sconv.torch.SparseConvAdd)}
            self.assertEqual(adds, {'e'} if fuse_add else set())
            kept = {n for n, m in sp.named_modules() if isinstance(m, nn.BatchNorm2d)}
            self.assertEqual(kept, {'b_bn', 'c_bn', 'k_bn'})

    def test_channels_last_grouped_strided(self):
        torch.manual_seed(3)
        model = randomize_bn(nn.Sequential(
            nn.Conv2d(6, 12, 3, stride=2, padding=1, groups=3), nn.BatchNorm2d(12), nn.ReLU(),
            nn.Conv2d(12, 12, 3, padding=2, dilation=2, groups=12, bias=False),
            nn.BatchNorm2d(12), nn.ReLU6()), 4)
        for i in (0, 3):  # zeros made permanent: sparsify keeps them
            tprune.l1_unstructured(model[i], 'weight', amount=0.5)
            tprune.remove(model[i], 'weight')
        model = model.to(memory_format=torch.channels_last)
        x = torch.randn(1, 6, 15, 13).contiguous(memory_format=torch.channels_last)
        sp = self.check(model, x, 'grouped')
        self.assertEqual([m.layer.nnz for m in sp.modules() if hasattr(m, 'layer')],
                         [108, 54])
        self.assertEqual(sparse(sp), {'0': ('1', 'relu'), '3': ('4', 'relu6')})
        with torch.inference_mode():
            self.assertTrue(sp(x).is_contiguous(memory_format=torch.channels_last))

    def test_padding_same_even_kernel_and_modes(self):
        torch.manual_seed(5)
        for kw in ({'padding': 'same', 'kernel_size': 4},
                   {'padding': 'same', 'kernel_size': (2, 3), 'dilation': (3, 1)},
                   {'padding': 'valid', 'kernel_size': 3},
                   {'padding': (1, 2), 'kernel_size': 3, 'padding_mode': 'reflect'},
                   {'padding': 1, 'kernel_size': 3, 'padding_mode': 'replicate'},
                   {'padding': 2, 'kernel_size': 3, 'padding_mode': 'circular', 'stride': 2}):
            model = nn.Sequential(nn.Conv2d(3, 5, **kw)).eval()
            x = torch.randn(2, 3, 11, 10)
            sp = self.check(model, x, str(kw))
            with torch.inference_mode():  # unbatched (C, H, W), as nn.Conv2d takes it
                self.assertTrue(torch.allclose(sp(x[0]), sp(x)[0]), str(kw))

    def test_prune_masks_rules(self):
        torch.manual_seed(6)
        model = nn.Sequential(nn.Conv2d(4, 8, 3), nn.Conv2d(8, 8, 1)).eval()
        base = copy.deepcopy(model)
        tprune.l1_unstructured(model[0], 'weight', amount=0.5)
        keep = torch.ones(8, 8, 1, 1)
        keep[:, :4] = 0
        tprune.custom_from_mask(model[1], 'weight', keep)
        with torch.no_grad():  # masked weights stay pruned; an unmasked 0 stores nothing
            model[1].weight_orig[0, 0] = 5.0
            model[1].weight_orig[0, 5] = 0.0
        with torch.no_grad():
            for b, m in zip(base, model):
                b.weight.copy_(m.weight_orig * m.weight_mask)
        sp = self.check(model, torch.randn(1, 4, 8, 8), 'torch-pruned', ref=base)
        m0, m1 = [m.layer.mask() for m in sp.modules()
                  if isinstance(m, sconv.torch.SparseConv2d)]
        np.testing.assert_array_equal(m0, model[0].weight_mask.numpy() != 0)
        want = keep.numpy() != 0
        want[0, 5] = False
        np.testing.assert_array_equal(m1, want)
        # With a sparsity, the masked positions stay pruned whatever weight_orig holds.
        sp = sconv.torch.sparsify(model, 0.6)
        m1 = [m.layer.mask() for m in sp.modules()
              if isinstance(m, sconv.torch.SparseConv2d)][1]
        self.assertFalse(m1[:, :4].any())

    def test_per_layer_and_skip(self):
        torch.manual_seed(8)
        model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3),
                              nn.Conv2d(8, 4, 1)).eval()
        ref = copy.deepcopy(model)
        for m in (ref[2], ref[3]):
            tprune.l1_unstructured(m, 'weight', amount=0.7)
        for skip in (['0'], '0', lambda name, m: m.in_channels == 3):
            sp = sconv.torch.sparsify(model, 0.7, method='l1', skip=skip)
            layers = {m.source: m.layer for m in sp.modules()
                      if isinstance(m, sconv.torch.SparseConv2d)}
            self.assertEqual(layers['0'].nnz, model[0].weight.numel())
            for n in ('2', '3'):
                np.testing.assert_array_equal(layers[n].mask(),
                                              dict(ref.named_modules())[n].weight_mask.numpy() != 0)
        with self.assertRaisesRegex(sconv.InvalidArgumentError, "skip: 'conv1' names no"):
            sconv.torch.sparsify(model, 0.5, skip=['conv1'])

    def test_engine_threads_copy_pickle(self):
        torch.manual_seed(9)
        model = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU()).eval()
        x = torch.randn(1, 8, 12, 12)
        for engine in ('sparse', 'dense'):
            sp = sconv.torch.sparsify(model, 0.9, engine=engine, threads=1)
            with torch.inference_mode():
                y = sp(x)
            self.assertEqual(getattr(sp, '0').op.describe()['engine'], engine)
        for clone in (copy.deepcopy(sp), pickle.loads(pickle.dumps(sp))):
            a, b = getattr(clone, '0').layer, getattr(sp, '0').layer
            self.assertIsNot(a, b)
            np.testing.assert_array_equal(a.weights(), b.weights())
            self.assertEqual((a.bias.tolist(), a.padding), (b.bias.tolist(), b.padding))
            with torch.inference_mode():
                self.assertTrue(torch.equal(clone(x), y))

    def test_refusals(self):
        model = nn.Sequential(nn.Conv2d(3, 4, 3))
        with self.assertRaisesRegex(sconv.UnsupportedError, r"conv '0' has dtype "
                                    r'torch.float64.*\.float\(\)'):
            sconv.torch.sparsify(copy.deepcopy(model).double())
        with self.assertRaisesRegex(sconv.InvalidTypeError, 'expected a torch.nn.Module'):
            sconv.torch.sparsify(lambda x: x)

        class Branchy(nn.Module):
            def forward(self, x):
                return x if x.sum() > 0 else -x
        with self.assertRaisesRegex(sconv.UnsupportedError, 'torch.fx cannot trace Branchy'):
            sconv.torch.sparsify(Branchy())
        hooked = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
        hooked[0].register_forward_hook(lambda m, i, o: None)
        self.assertEqual(sparse(sconv.torch.sparsify(hooked)), {})


class Residuals(nn.Module):
    """Residual adds in the forms sparsify fuses, and the ones it must leave alone."""

    def __init__(self, c=8):
        super().__init__()
        conv = lambda: nn.Conv2d(c, c, 3, padding=1)  # noqa: E731
        self.a, self.b, self.cv, self.d, self.e = conv(), conv(), conv(), conv(), conv()
        self.f, self.g, self.h, self.i, self.j = conv(), conv(), conv(), conv(), conv()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        y = torch.add(self.a(x), x)         # the input: added into a copy (x kept)
        h = F.relu(self.b(y))
        out = self.cv(h)
        out += h                            # ResNet's form, h read after: into a copy
        out = self.relu(out)
        z = torch.add(self.d(out), out, alpha=2)  # alpha: torch's add
        z2 = out.add(self.e(z))             # h is read below, out is not: in place
        z3 = F.relu6(z2.add_(self.f(z2)))   # torch changes z2, the conv's input: left alone
        w2 = self.g(z3).add_(self.h(z3))    # two plain convs: the first fused, into the other
        sh = w2 + self.i(w2).sum(dim=(2, 3), keepdim=True)  # a broadcast: no conv operand
        s = self.j(sh) + sh[:, :, :1, :1]   # a broadcast residual: torch's add, fused conv
        return s * x + z3 * h + y


class TestResidualAdds(unittest.TestCase):
    def run_both(self, model, x):
        """sparsify with and without fuse_add against the model in float64; returns the
        fused GraphModule."""
        with torch.inference_mode():
            ref = copy.deepcopy(model).double()(x.double())
        out = {}
        for fuse_add in (True, False):
            sp = sconv.torch.sparsify(model, fuse_add=fuse_add)
            before = x.clone()
            with torch.inference_mode():
                y = sp(x)
            self.assertTrue(torch.equal(x, before), f'fuse_add={fuse_add}: input changed')
            self.assertEqual(y.shape, ref.shape)
            err = float((y.double() - ref).norm() / ref.norm())
            self.assertLessEqual(err, TOL, f'fuse_add={fuse_add}: relative L2 error {err:.2e}')
            out[fuse_add] = sp
        return out[True]

    def test_forms_fused_and_left_alone(self):
        torch.manual_seed(5)
        model = Residuals().eval()
        for fmt in (torch.contiguous_format, torch.channels_last):
            x = torch.randn(2, 8, 7, 9).contiguous(memory_format=fmt)
            sp = self.run_both(model.to(memory_format=fmt), x)
            fused = {m.source: (m.act, m.inplace) for m in sp.modules()
                     if isinstance(m, sconv.torch.SparseConvAdd)}
            self.assertEqual(fused, {
                'a': (None, False),     # y = a(x) + x: x is the model's input
                'cv': ('relu', False),  # out += h; relu: h is read later
                'e': (None, True),      # out.add(e(z)): out has no later reader
                'g': (None, True),      # g(z3).add_(h(z3)): the first conv, into h's output
                'j': (None, False)})    # a slice (a view): torch's add for its broadcast
            self.assertEqual(sparse(sp)['d'], (None, None))  # alpha=2: not fused
            self.assertEqual(sparse(sp)['f'], (None, None))  # z2.add_(f(z2)): not fused
            self.assertEqual(sparse(sp)['h'], (None, None))  # the other operand of g's add
            self.assertEqual(sparse(sp)['i'], (None, None))  # read by sum(), not an add

    def test_in_place_add_on_a_read_residual_stays(self):
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b = nn.Conv2d(4, 4, 1), nn.Conv2d(4, 4, 1)

            def forward(self, x):
                r = torch.relu(self.a(x))
                r.add_(self.b(x))  # torch changes r, which is read after
                return r * 2 + r

        torch.manual_seed(6)
        sp = self.run_both(M().eval(), torch.randn(1, 4, 5, 5))
        self.assertFalse(any(isinstance(m, sconv.torch.SparseConvAdd) for m in sp.modules()))

    def test_alias_of_a_read_value_is_copied(self):
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b = nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 1)

            def forward(self, x):
                h = self.a(x)
                r = h.relu_()            # r is h: h is read at the end
                return (self.b(x) + r) * 3 + h

        torch.manual_seed(9)
        sp = self.run_both(M().eval(), torch.randn(2, 4, 6, 6))
        fused = [m for m in sp.modules() if isinstance(m, sconv.torch.SparseConvAdd)]
        self.assertEqual([(m.source, m.inplace) for m in fused], [('b', False)])

    def test_model_input_is_not_written(self):
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Conv2d(4, 4, 3, padding=1)

            def forward(self, x):
                return self.a(torch.relu(x)) + x  # x is read last by the add

        torch.manual_seed(10)
        for fmt in (torch.contiguous_format, torch.channels_last):
            x = torch.randn(1, 4, 5, 7).contiguous(memory_format=fmt)
            sp = self.run_both(M().eval(), x)  # checks x is unchanged
            fused = [m for m in sp.modules() if isinstance(m, sconv.torch.SparseConvAdd)]
            self.assertEqual([(m.source, m.inplace) for m in fused], [('a', False)])

    def test_option_checked(self):
        with self.assertRaisesRegex(ValueError, 'fuse_add'):
            sconv.torch.sparsify(nn.Sequential(nn.Conv2d(3, 4, 3)), fuse_add='yes')

    def test_fused_module_copies_and_pickles(self):
        torch.manual_seed(8)
        model = Residuals().eval()
        x = torch.randn(1, 8, 6, 6)
        sp = sconv.torch.sparsify(model)
        with torch.inference_mode():
            y = sp(x)
            for clone in (copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))):
                self.assertTrue(torch.equal(clone(sp)(x), y))


if __name__ == '__main__':
    unittest.main()
