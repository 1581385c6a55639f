# tests/python/test_torch_pool.py: sparsify's ChannelsLastPool: same bits as torch's pool, routes
"""The oracle is torch.max_pool2d itself: max is exact, so every route must give its bits
(compared as integers, so NaN payloads and signed zeros count), its shape and its strides.
No test looks at which route won or at any time."""
import copy
import pickle
import random
import unittest

import torch
import torch.nn as nn
import torch.nn.functional as F

import sconv
import sconv.torch
from sconv.torch import ChannelsLastPool

ROUTES = ('torch', 'channels_last', 'separable')

TOL = 1e-5  # relative L2 error against float64, as in test_torch_sparsify.py


def bits(t):
    """The same memory as integers: torch.equal on these compares NaNs too."""
    return t.view({torch.bfloat16: torch.int16, torch.float32: torch.int32,
                   torch.float64: torch.int64}[t.dtype])


class Toy(nn.Module):
    """ResNet-like: conv-BN-ReLU, a max-pool module, a residual block, then the functional
    pools (ceil_mode, default stride) and a classifier."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.relu(self.bn2(self.conv2(x)) + x)
        x = F.max_pool2d(x, 2, ceil_mode=True)
        x = torch.max_pool2d(x, (2, 1), padding=(1, 0))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def toy(seed):
    torch.manual_seed(seed)
    model = Toy()
    with torch.no_grad():
        for bn in (model.bn1, model.bn2):
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.5, 1.5)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_()
    return model.eval()


def pools(gm):
    return {n: m for n, m in gm.named_modules() if isinstance(m, ChannelsLastPool)}


class TestSparsifyPools(unittest.TestCase):
    def test_toy_model_bits_and_cache(self):
        model = toy(11)
        auto = sconv.torch.sparsify(model)  # the dense weights: the float64 model is the oracle
        plain = sconv.torch.sparsify(model, pool='torch')
        found = pools(auto)
        self.assertEqual(sorted(m.source for m in found.values()),
                         ['max_pool2d', 'max_pool2d_1', 'maxpool'])
        self.assertIsInstance(auto.maxpool, ChannelsLastPool)
        shapes = [(1, 3, 33, 31), (2, 3, 40, 40)]
        with torch.inference_mode():
            for shape in shapes:
                x = torch.randn(*shape)
                for _ in range(2):  # the measured call, then a cached one
                    y = auto(x)
                    self.assertTrue(torch.equal(bits(y), bits(plain(x))), str(shape))
                ref = copy.deepcopy(model).double()(x.double())
                err = float((y.double() - ref).norm() / ref.norm())
                self.assertLessEqual(err, TOL, f'{shape}: relative L2 error {err:.2e}')
        self.assertEqual([tuple(k[0]) for k in auto.maxpool.decisions],
                         [(1, 8, 17, 16), (2, 8, 20, 20)])
        for m in found.values():
            self.assertEqual(len(m.decisions), len(shapes), m.source)
            for key, d in m.decisions.items():
                self.assertEqual(key[1:], (torch.float32, torch.get_num_threads()))
                self.assertIn(d.route, ROUTES)
                self.assertTrue(all(t > 0 for t in d[1:]), str(d))
                self.assertEqual(m.route(key[0]), d.route)
        self.assertIsNone(auto.maxpool.route((1, 8, 3, 3)))
        self.assertIn("'maxpool': max_pool2d kernel_size=3, stride=2, padding=1",
                      repr(auto.maxpool))

    def test_pool_torch_keeps_the_graph(self):
        plain = sconv.torch.sparsify(toy(12), pool='torch')
        self.assertEqual(type(plain.maxpool), nn.MaxPool2d)
        self.assertEqual(pools(plain), {})
        targets = [n.target for n in plain.graph.nodes if n.op == 'call_function']
        self.assertIn(F.max_pool2d, targets)
        self.assertIn(torch.max_pool2d, targets)
        with self.assertRaisesRegex(sconv.InvalidArgumentError, "pool: 'fast': expected"):
            sconv.torch.sparsify(toy(12), pool='fast')

    def test_left_alone(self):
        class Indices(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.MaxPool2d(2, return_indices=True)
                self.b = nn.MaxPool2d(2)
                self.b.register_forward_hook(lambda m, i, o: None)
                self.c = nn.MaxPool1d(2)
                self.d = nn.MaxPool2d(2)  # the one replaced, called twice

            def forward(self, x):
                out = self.a(x)  # fx cannot unpack a traced tuple
                y, i = out[0], out[1]
                z = F.max_pool2d(x, 2, return_indices=True)[0]
                w = F.max_pool2d(x, x.shape[-1] // 4)  # a size computed in the graph
                return (y + self.b(x) + z + i.float() + self.c(x.flatten(2)).sum() + w.sum()
                        + self.d(x) + self.d(2 * x))

        model = Indices()
        sp = sconv.torch.sparsify(model)
        self.assertEqual(list(pools(sp)), ['d'])
        self.assertEqual([type(sp.a), type(sp.b), type(sp.c)],
                         [nn.MaxPool2d, nn.MaxPool2d, nn.MaxPool1d])
        x = torch.randn(1, 2, 8, 8)
        with torch.inference_mode():
            self.assertTrue(torch.equal(bits(sp(x)), bits(model(x))))
        self.assertEqual(list(sp.d.decisions), [((1, 2, 8, 8), torch.float32,
                                                 torch.get_num_threads())])

    def test_unbatched_channels_last_strided_straight_to_torch(self):
        torch.manual_seed(13)
        sp = sconv.torch.sparsify(nn.Sequential(nn.MaxPool2d(3, 2, 1)))
        pool = getattr(sp, '0')
        x = torch.randn(2, 6, 15, 14)
        cl = x.contiguous(memory_format=torch.channels_last)
        cases = {'unbatched': x[0], 'channels_last': cl, 'strided': x[:, 1:4],
                 'channels_last slice': cl[:, 1:4], 'bfloat16': x.bfloat16(), 'empty': x[:0]}
        for label, v in cases.items():
            for route in ('auto', 'channels_last', 'separable'):
                pool.forced = route
                with torch.inference_mode():
                    y = sp(v)
                want = F.max_pool2d(v, 3, 2, 1)
                self.assertEqual((y.shape, y.stride()), (want.shape, want.stride()), label)
                self.assertTrue(torch.equal(bits(y), bits(want)), label)
        self.assertEqual(pool.decisions, {})

    def test_copy_pickle(self):
        model = toy(14)
        sp = sconv.torch.sparsify(model, 0.5)
        x = torch.randn(1, 3, 20, 20)
        with torch.inference_mode():
            y = sp(x)
        self.assertEqual(len(sp.maxpool.decisions), 1)
        for clone in (copy.deepcopy(sp), pickle.loads(pickle.dumps(sp))):
            self.assertIsInstance(clone.maxpool, ChannelsLastPool)
            self.assertEqual(clone.maxpool.decisions, {})  # measured again by the copy
            with torch.inference_mode():
                self.assertTrue(torch.equal(bits(clone(x)), bits(y)))
            self.assertEqual(len(clone.maxpool.decisions), 1)


class TestRoutes(unittest.TestCase):
    def test_forced_routes_match_torch(self):
        g = torch.Generator().manual_seed(15)
        params = [dict(kernel_size=3, stride=2, padding=1),
                  dict(kernel_size=2),
                  dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 0), dilation=(2, 1)),
                  dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                  dict(kernel_size=2, stride=2, ceil_mode=True),
                  dict(kernel_size=5, stride=1, padding=2, dilation=1),
                  dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1)),
                  dict(kernel_size=(4, 1), stride=(3, 1), padding=(2, 0), ceil_mode=True)]
        shapes = [(1, 3, 7, 9), (2, 5, 13, 11), (1, 17, 5, 6), (3, 2, 8, 8), (2, 3, 5, 5)]
        for dtype in (torch.float32, torch.float64):
            for shape in shapes:
                x = torch.randn(*shape, generator=g, dtype=dtype)
                flat = x.view(-1)
                flat[::7] = float('nan')
                flat[1::5] = float('-inf')
                flat[2::11] = float('inf')
                flat[3::13] = 0.0
                flat[4::17] = -0.0
                x[0, 0] = float('-inf')  # a whole plane of -inf
                for p in params:
                    want = F.max_pool2d(x, **p)
                    label = f'{dtype} {shape} {p}'
                    for route in ('auto',) + ROUTES:
                        m = ChannelsLastPool(**p, route=route)
                        for _ in range(2):
                            y = m(x)
                            self.assertEqual((y.shape, y.stride()), (want.shape, want.stride()),
                                             label)
                            self.assertTrue(torch.equal(bits(y), bits(want)), f'{label} {route}')
                        self.assertEqual(len(m.decisions), route == 'auto', label)

    def test_one_pixel_output_strides(self):
        # torch gives (c, 1, 1, 1) strides; .contiguous() of a channels_last (or the
        # separable) result would keep other strides on the extents of 1
        x = torch.randn(2, 3, 4, 5)
        want = F.max_pool2d(x, (4, 5))
        for route in ROUTES:
            y = ChannelsLastPool((4, 5), route=route)(x)
            self.assertEqual(y.stride(), want.stride(), route)
            self.assertTrue(torch.equal(bits(y), bits(want)), route)

    def test_bad_route(self):
        with self.assertRaisesRegex(ValueError, "route: 'fast'"):
            ChannelsLastPool(2, route='fast')



def special_values(shape, dtype, g):
    """Small integers (many ties) with +0.0 and -0.0 mixed, NaNs of both signs, +-inf."""
    x = torch.randint(-2, 3, shape, generator=g).to(dtype)
    zero = x == 0
    signed = torch.where(torch.rand(shape, generator=g) < 0.5, -0.0, 0.0).to(dtype)
    x[zero] = signed[zero]
    u = torch.rand(shape, generator=g)
    x[u < 0.05] = float('nan')
    x[(u >= 0.05) & (u < 0.08)] = -float('nan')
    x[(u >= 0.1) & (u < 0.15)] = float('inf')
    x[(u >= 0.15) & (u < 0.3)] = -float('inf')
    return x


class TestSeparableRoute(unittest.TestCase):
    def test_random_parameters_bits(self):
        """Random kernels, strides (or the default), paddings up to half the kernel,
        dilations and ceil_mode on odd sizes: the separable route's bits (zero signs and NaN
        payloads included), shape and strides are torch's; where torch refuses, it refuses."""
        g = torch.Generator().manual_seed(16)
        rnd = random.Random(17)
        compared = 0
        for _ in range(800):
            dtype = rnd.choice((torch.float32, torch.float64))
            kh, kw = rnd.randint(1, 4), rnd.randint(1, 4)
            stride = None if rnd.random() < 0.2 else (rnd.randint(1, 3), rnd.randint(1, 3))
            p = dict(kernel_size=(kh, kw), stride=stride,
                     padding=(rnd.randint(0, kh // 2), rnd.randint(0, kw // 2)),
                     dilation=(rnd.randint(1, 3), rnd.randint(1, 3)),
                     ceil_mode=rnd.random() < 0.5)
            shape = (rnd.randint(1, 3), rnd.randint(1, 5), rnd.randint(1, 13),
                     rnd.randint(1, 13))
            x = special_values(shape, dtype, g)
            m = ChannelsLastPool(**p, route='separable')
            label = f'{dtype} {shape} {p}'
            try:
                want = F.max_pool2d(x, **p)
            except RuntimeError:
                with self.assertRaises(RuntimeError, msg=label):
                    m(x)
                continue
            y = m(x)
            self.assertEqual((y.shape, y.stride()), (want.shape, want.stride()), label)
            self.assertTrue(torch.equal(bits(y), bits(want)), label)
            compared += 1
        self.assertGreater(compared, 500)

    def test_signed_zero_ties_keep_the_first(self):
        # torch keeps the first maximum in row-major window order; scanning the columns
        # first would reach the zero of the second row first
        for z in (0.0, -0.0):
            x = torch.tensor([[[[-1.0, z], [-z, -1.0]]]])
            want = F.max_pool2d(x, 2)
            self.assertEqual(bits(want).item(), bits(torch.tensor(z)).item())
            for route in ROUTES:
                y = ChannelsLastPool(2, route=route)(x)
                self.assertEqual(bits(y).item(), bits(want).item(), f'{route} {z}')

    def test_resnet_stem_pool(self):
        torch.manual_seed(18)
        x = torch.relu(torch.randn(1, 64, 112, 112))
        x.view(-1)[::9] = -0.0
        want = F.max_pool2d(x, 3, 2, 1)
        for route in ROUTES:
            y = ChannelsLastPool(3, 2, 1, route=route)(x)
            self.assertEqual(y.stride(), want.stride(), route)
            self.assertTrue(torch.equal(bits(y), bits(want)), route)


if __name__ == '__main__':
    unittest.main()
