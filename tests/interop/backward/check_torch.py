#!/usr/bin/env python3
"""tests/interop/backward/check_torch.py: sconv backward data, conv_transpose and masked dW vs PyTorch.

Usage: check_torch.py BACKWARD_DRIVER
For pruned random weights (half the positions zero), on NCHW and channels_last tensors:
  torch.nn.grad.conv2d_input      == sconv backward data (sc_conv_bwd_run)
  F.conv_transpose2d (+bias, ReLU) == sconv conv_transpose (sc_conv_transpose_run)
  torch.nn.grad.conv2d_weight      == sconv masked dW (sc_conv_wgrad) at the kept positions
channels_last tensors are handed to the driver as their NHWC memory and its NHWC output is
compared with torch's channels_last result. Last line: "N passed, M failed"; exit 1 on failure.
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from driver_checks import Checks

CHECKS = Checks(sys.argv[1], "sconv-backward-torch-")
save, drive, check = CHECKS.save, CHECKS.drive, CHECKS.check
torch.manual_seed(20261123)

# (N, Cin, Cout, H, W, K, stride, pad, dil, groups, output_padding)
CASES = [
    (2, 6, 4, 9, 7, 3, 1, 1, 1, 1, 0),
    (1, 8, 6, 10, 11, 3, 2, 1, 1, 2, 1),
    (2, 4, 6, 8, 8, 1, 1, 0, 1, 1, 0),
    (1, 6, 6, 12, 9, 5, 3, 2, 1, 3, 2),
    (2, 5, 7, 11, 10, 3, 2, 2, 2, 1, 1),
    (1, 4, 4, 7, 13, 2, 2, 0, 1, 4, 0),
]


def to_np(t, nhwc):
    """The driver's view of a tensor: NCHW memory, or the NHWC memory of channels_last."""
    a = t.detach()
    if nhwc:
        a = a.permute(0, 2, 3, 1)
    return np.ascontiguousarray(a.numpy(), dtype=np.float32)


def pruned(shape):
    w = torch.randn(shape)
    return w * (torch.rand(shape) >= 0.5)


for ci, (n, cin, cout, h, w, k, s, p, d, g, op) in enumerate(CASES):
    geo = [f"stride={s},{s}", f"pad={p},{p},{p},{p}", f"dil={d},{d}", f"groups={g}"]
    wt = pruned((cout, cin // g, k, k))
    x = torch.randn(n, cin, h, w)
    y = F.conv2d(x, wt, None, s, p, d, g)
    dy = torch.randn(y.shape)
    for layout in ("nchw", "nhwc"):
        mf = torch.channels_last if layout == "nhwc" else torch.contiguous_format
        xl, dyl = x.contiguous(memory_format=mf), dy.contiguous(memory_format=mf)
        tag = f"case {ci} {layout}"
        # backward data
        dx = torch.nn.grad.conv2d_input(x.shape, wt, dyl, s, p, d, g)
        got = drive("bwd", layout, [f"w={save('w.npy', wt.numpy())}",
                                    f"in={save('dy.npy', to_np(dyl, layout == 'nhwc'))}",
                                    f"xshape={n},{cin},{h},{w}", *geo])
        scale = float(torch.nn.grad.conv2d_input(x.shape, wt.abs(), dy.abs(), s, p, d, g).max())
        check(f"{tag} conv2d_input", to_np(dx, layout == "nhwc"), got, scale)
        # masked weight gradient
        dw = torch.nn.grad.conv2d_weight(xl, wt.shape, dyl, s, p, d, g) * (wt != 0)
        got = drive("wgrad", layout, [f"w={save('w.npy', wt.numpy())}",
                                      f"in={save('x.npy', to_np(xl, layout == 'nhwc'))}",
                                      f"dy={save('dy.npy', to_np(dyl, layout == 'nhwc'))}", *geo])
        scale = float(torch.nn.grad.conv2d_weight(x.abs(), wt.shape, dy.abs(), s, p, d, g).max())
        check(f"{tag} conv2d_weight (kept positions)", dw.numpy(), got, scale)
        # transposed convolution as a layer: weight (Cin_t, Cout_t/g, K, K) with Cin_t = cout
        wtt = pruned((cout, cin // g, k, k))
        bias = torch.randn(cin)
        xt = torch.randn(n, cout, h, w).contiguous(memory_format=mf)
        opad = op if op < max(s, d) else 0
        yt = F.relu(F.conv_transpose2d(xt, wtt, bias, s, p, opad, g, d))
        got = drive("transpose", layout, [f"w={save('wt.npy', wtt.numpy())}",
                                          f"in={save('xt.npy', to_np(xt, layout == 'nhwc'))}",
                                          f"bias={save('b.npy', bias.numpy())}", "act=relu",
                                          f"outpad={opad},{opad}", *geo])
        scale = float(F.conv_transpose2d(xt.abs(), wtt.abs(), bias.abs(), s, p, opad, g, d).max())
        check(f"{tag} conv_transpose2d", to_np(yt, layout == "nhwc"), got, scale)

CHECKS.finish()
