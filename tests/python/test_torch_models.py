# tests/python/test_torch_models.py: sconv.torch.sparsify on torchvision ResNet-50 and MobileNetV2
"""Random weights from a fixed seed, BatchNorm in eval mode with random running statistics;
the oracle is the same model pruned with torch.nn.utils.prune (BN unfolded) run in float64.
Error: ||y - ref||_2 / ||ref||_2 over the logits (classifier bias zeroed, so the logits
come from the convs alone). Both with the residual adds fused into the convs (the default)
and without (fuse_add=False)."""
import copy
import os
import sys
import unittest

import numpy as np
import torch
import torch.nn.utils.prune as tprune

import sconv
import sconv.torch

# the model benchmark's seeded torchvision nets (random weights, non-trivial BN statistics)
sys.path.insert(0, os.path.join(os.environ['SCONV_SOURCE'], 'bench', 'models'))
import zoo  # noqa: E402

TOL = 1e-4


def convs(model):
    return [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]


def masked_copy(model, pruned):
    """model with each conv's weights multiplied by pruned's weight_mask (no reparametrization)."""
    out = copy.deepcopy(model)
    masks = {n: m.weight_mask for n, m in convs(pruned)}
    with torch.no_grad():
        for n, m in convs(out):
            m.weight.mul_(masks[n])
    return out


def sparse_convs(model):
    return [m for m in model.modules() if isinstance(m, sconv.torch.SparseConv2d)]


def fused_adds(model):
    return [m for m in model.modules() if isinstance(m, sconv.torch.SparseConvAdd)]


def rel_err(y, ref):
    y, ref = y.double(), ref.double()
    return float((y - ref).norm() / ref.norm())


class ModelCase:
    # n_acts: convs with a fused activation before the adds are fused; n_adds: residual adds,
    # each fused with the activation after it when there is one (add_act); classifier: the
    # nn.Linear that runs as a SparseLinear
    name, seed, n_convs, n_acts, act, n_adds, add_act = None, 0, 0, 0, None, 0, None
    classifier = None

    @classmethod
    def setUpClass(cls):
        cls.model = zoo.build(cls.name, cls.seed)
        cls.before = copy.deepcopy(cls.model.state_dict())
        cls.sparse = sconv.torch.sparsify(cls.model, 0.9)
        cls.unfused = sconv.torch.sparsify(cls.model, 0.9, fuse_add=False)
        cls.ref = copy.deepcopy(cls.model)
        tprune.global_unstructured([(m, 'weight') for _, m in convs(cls.ref)],
                                   pruning_method=tprune.L1Unstructured, amount=0.9)
        cls.ref64 = masked_copy(cls.model, cls.ref).double()
        cls.errors = {}

    def check_output(self, model, hw, channels_last, label):
        torch.manual_seed(7)
        x = torch.randn(1, 3, hw, hw)
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        x = x.contiguous(memory_format=fmt)
        x_before = x.clone()
        formats = []
        hooks = [m.register_forward_hook(
            lambda mod, inp, out: formats.append(out.is_contiguous(memory_format=fmt)))
            for m in sparse_convs(model)]
        with torch.inference_mode():
            y = model(x)
            ref = self.ref64(x.double())
        for h in hooks:
            h.remove()
        self.assertTrue(torch.equal(x, x_before), f'{label}: the model changed its input')
        self.assertEqual(len(formats), self.n_convs)
        self.assertTrue(all(formats), f'{label}: a conv output lost the input memory format')
        self.assertGreater(float(ref.norm()), 0)
        err = rel_err(y, ref)
        type(self).errors[label] = err
        print(f'\n{self.name} {label}: relative L2 error {err:.2e}', end=' ')
        self.assertLessEqual(err, TOL, label)

    def test_structure(self):
        for model, adds in ((self.sparse, self.n_adds), (self.unfused, 0)):
            sc = sparse_convs(model)
            self.assertEqual(len(sc), self.n_convs)
            self.assertTrue(all(m.bn is not None for m in sc), 'every BN follows its conv')
            fa = fused_adds(model)
            self.assertEqual(len(fa), adds)
            self.assertTrue(all(m.act == self.add_act and m.inplace for m in fa))
            with_act = self.n_acts + (adds if self.add_act else 0)
            self.assertEqual(sum(m.act is not None for m in sc), with_act)
            self.assertTrue(all(m.act in (None, self.act) for m in sc))
            self.assertFalse(any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()))
        adds = [n for n in self.sparse.graph.nodes
                if n.op == 'call_function' and 'add' in str(n.target)]
        self.assertEqual(adds, [], 'every residual add is fused')
        # the classifier runs on sconv too, unpruned (prune_linear=False)
        lin = [m for m in self.sparse.modules() if isinstance(m, sconv.torch.SparseLinear)]
        self.assertEqual([m.source for m in lin], [self.classifier])
        self.assertEqual(lin[0].layer.nnz, dict(self.model.named_modules())[
            self.classifier].weight.numel())
        self.assertFalse(any(isinstance(m, torch.nn.Linear) for m in self.sparse.modules()))

    def test_masks_equal_global_unstructured(self):
        ref = dict(convs(self.ref))
        kept = total = 0
        for m in sparse_convs(self.sparse):
            want = ref[m.source].weight_mask.numpy() != 0
            np.testing.assert_array_equal(m.layer.mask(), want, m.source)
            kept += int(want.sum())
            total += want.size
        self.assertEqual(total - kept, round(0.9 * total))

    def test_input_model_unchanged(self):
        after = self.model.state_dict()
        self.assertEqual(list(after), list(self.before))
        for k, v in self.before.items():
            self.assertTrue(torch.equal(after[k], v), k)
        self.assertFalse(sparse_convs(self.model))

    def test_nchw(self):
        self.check_output(self.sparse, 64, False, 'NCHW 64x64')

    def test_nchw_adds_unfused(self):
        self.check_output(self.unfused, 64, False, 'NCHW 64x64, fuse_add=False')

    def test_channels_last(self):
        cl = copy.deepcopy(self.model).to(memory_format=torch.channels_last)
        self.check_output(sconv.torch.sparsify(cl, 0.9), 64, True, 'channels_last 64x64')
        self.check_output(sconv.torch.sparsify(cl, 0.9, fuse_add=False), 64, True,
                          'channels_last 64x64, fuse_add=False')

    def test_torch_pruned_model_keeps_its_masks(self):
        sparse = sconv.torch.sparsify(self.ref)
        ref = dict(convs(self.ref))
        for m in sparse_convs(sparse):
            np.testing.assert_array_equal(m.layer.mask(),
                                          ref[m.source].weight_mask.numpy() != 0, m.source)
        self.check_output(sparse, 64, False, 'torch-pruned, sparsity=None, NCHW 64x64')


class TestResNet50(ModelCase, unittest.TestCase):
    name, seed, n_convs, n_acts, act, classifier = 'resnet50', 50, 53, 33, 'relu', 'fc'
    n_adds, add_act = 16, 'relu'

    def test_224_channels_last(self):
        model = sconv.torch.sparsify(
            copy.deepcopy(self.model).to(memory_format=torch.channels_last), 0.9)
        self.check_output(model, 224, True, 'channels_last 224x224')


class TestMobileNetV2(ModelCase, unittest.TestCase):
    # 52 convs (the first block has no expansion); ReLU6 after all but the 17 projections.
    name, seed, n_convs, n_acts, act, n_adds = 'mobilenet_v2', 2, 52, 35, 'relu6', 10
    classifier = 'classifier.1'

    def test_depthwise_layers_run_on_sconv(self):
        dw = [m for m in sparse_convs(self.sparse) if m.layer.groups > 1]
        self.assertEqual(len(dw), 17)
        self.assertTrue(all(m.layer.shape[1] == 1 for m in dw))


if __name__ == '__main__':
    unittest.main()
