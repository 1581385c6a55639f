# tests/python/helpers.py: the oracle (torch conv2d in float64) and the tolerance every test uses
"""ref_conv: PyTorch's conv2d computed in double precision from the layer's own dense
weights; close(): |y - ref| <= 4 k eps32 (|w| * |x| + |b|), k the terms per output."""
import numpy as np
import torch
import torch.nn.functional as F

EPS32 = float(np.finfo(np.float32).eps)


def ref_conv(x_nchw, w_oihw, bias, stride, padding, dilation, groups, act=None):
    """(reference, bound) as float64 NCHW arrays; padding (top, left, bottom, right)."""
    x = torch.as_tensor(np.asarray(x_nchw), dtype=torch.float64)
    w = torch.as_tensor(np.asarray(w_oihw), dtype=torch.float64)
    b = None if bias is None else torch.as_tensor(np.asarray(bias), dtype=torch.float64)
    top, left, bottom, right = padding
    x = F.pad(x, (left, right, top, bottom))
    y = F.conv2d(x, w, b, stride=stride, dilation=dilation, groups=groups)
    bound = F.conv2d(x.abs(), w.abs(), None if b is None else b.abs(), stride=stride,
                     dilation=dilation, groups=groups)
    if act == 'relu':
        y = y.clamp(min=0)
    elif act == 'relu6':
        y = y.clamp(0, 6)
    elif isinstance(act, tuple):
        y = y.clamp(act[1], act[2])
    return y.numpy(), bound.numpy()


def assert_close(tc, y_nchw, ref, bound, k, what=''):
    """y within 4 k eps32 of ref, elementwise scaled by bound; names the worst element."""
    y = np.asarray(y_nchw, dtype=np.float64)
    tc.assertEqual(y.shape, ref.shape, what)
    err = np.abs(y - ref) - 4 * k * EPS32 * (bound + 1e-30)
    worst = np.unravel_index(np.argmax(err), err.shape)
    tc.assertLessEqual(err[worst], 0, f'{what}: at {worst} got {y[worst]} want {ref[worst]}')


def weights(rng, shape, zero_fraction=0.6):
    """Random float32 weights with about zero_fraction exact zeros."""
    w = rng.standard_normal(shape).astype(np.float32)
    w[rng.random(shape) < zero_fraction] = 0
    return w
