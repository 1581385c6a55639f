#!/usr/bin/env python3
"""tests/interop/backward/check_tf.py: sconv backward data and conv_transpose vs TensorFlow.

Usage: check_tf.py BACKWARD_DRIVER
NHWC: tf.nn.conv2d_backprop_input (tf.compat.v1.nn in TF2) == sconv backward data and tf.nn.conv2d_transpose (+ bias)
== sconv conv_transpose, on pruned random weights (HWIO = OIHW transposed (2,3,1,0)).
NCHW: TensorFlow is asked for data_format='NCHW' on the CPU; where its kernels refuse, the
refusal is printed and sconv's NCHW result is checked against the NHWC reference transposed
(0,3,1,2), so NCHW is still verified against TensorFlow's numbers.
What TensorFlow's CPU conv2d_backprop_input accepts (docs/backward.md): with SAME or VALID
padding and oneDNN on it runs NCHW and dilation 2, and sconv equals it; with explicit
padding it refuses both. Whether oneDNN is on by default depends on the CPU (TensorFlow turns
it on where it finds AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX), so this process expects
what IsMklEnabled() says, and two child interpreters check both settings on every machine:
TF_ENABLE_ONEDNN_OPTS=1 accepts NCHW with dilation 2, TF_ENABLE_ONEDNN_OPTS=0 refuses it.
Last line: "N passed, M failed"; exit 1 on failure.
"""
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf
from tensorflow.python.util import _pywrap_util_port

from driver_checks import Checks

CHECKS = Checks(sys.argv[1], "sconv-backward-tf-")
save, drive, check = CHECKS.save, CHECKS.drive, CHECKS.check
rng = np.random.default_rng(20261123)

# (N, Cin, Cout, H, W, KH, KW, stride, (pad_top, pad_left, pad_bottom, pad_right), dil)
# Explicit padding: TensorFlow's CPU Conv2DBackpropInput takes no dilation > 1 ("Current CPU
# implementations do not yet support dilation rates larger than 1") and no NCHW; groups are
# not tested here: PyTorch's test covers them.
CASES = [
    (2, 6, 4, 9, 7, 3, 3, 1, (1, 1, 1, 1), 1),
    (1, 8, 6, 10, 11, 3, 3, 2, (1, 0, 1, 2), 1),
    (2, 4, 6, 8, 8, 1, 1, 1, (0, 0, 0, 0), 1),
    (1, 5, 3, 12, 9, 5, 3, 3, (2, 1, 0, 1), 1),
    (2, 4, 5, 11, 10, 3, 2, 1, (2, 1, 2, 0), 1),
]


def backprop_input(sizes, filt, dy, strides, pads, dil, fmt="NHWC"):
    """tf.nn.conv2d_backprop_input (TF1 name; TF2 keeps it as tf.compat.v1.nn...)."""
    return tf.compat.v1.nn.conv2d_backprop_input(sizes, filt, dy, strides, pads,
                                                 data_format=fmt, dilations=dil)


def out_extent(i, k, s, pa, pb, d):
    return (i + pa + pb - d * (k - 1) - 1) // s + 1


def try_nchw(fn):
    """Run fn() (a TensorFlow op in NCHW); None plus a printed note when TF refuses."""
    try:
        return fn().numpy()
    except (tf.errors.OpError, ValueError) as e:
        msg = str(e).strip().splitlines()[0][:160]
        print(f"note: TensorFlow {tf.__version__} refuses data_format='NCHW' with explicit "
              f"padding ({type(e).__name__}: {msg}); checking sconv's NCHW against the NHWC "
              f"reference transposed")
        return None


for ci, (n, cin, cout, h, w, kh, kw, s, pad, d) in enumerate(CASES):
    pt, pl, pb, pr = pad
    oh, ow = out_extent(h, kh, s, pt, pb, d), out_extent(w, kw, s, pl, pr, d)
    geo = [f"stride={s},{s}", f"pad={pt},{pl},{pb},{pr}", f"dil={d},{d}", "groups=1"]
    tf_pad = [[0, 0], [pt, pb], [pl, pr], [0, 0]]
    tf_pad_nchw = [[0, 0], [0, 0], [pt, pb], [pl, pr]]
    # ---- backward data: weights OIHW (cout, cin, kh, kw), dY (n, cout, oh, ow) ----
    wt = rng.standard_normal((cout, cin, kh, kw)).astype(np.float32)
    wt *= rng.random(wt.shape) >= 0.5
    hwio = np.transpose(wt, (2, 3, 1, 0))
    dy_nhwc = rng.standard_normal((n, oh, ow, cout)).astype(np.float32)
    ref = backprop_input([n, h, w, cin], hwio, dy_nhwc, [1, s, s, 1], tf_pad,
                         [1, d, d, 1]).numpy()
    scale = float(backprop_input([n, h, w, cin], np.abs(hwio), np.abs(dy_nhwc), [1, s, s, 1],
                                 tf_pad, [1, d, d, 1]).numpy().max())
    wpath = save("w.npy", wt)
    got = drive("bwd", "nhwc", [f"w={wpath}", f"in={save('dy.npy', dy_nhwc)}",
                                f"xshape={n},{cin},{h},{w}", *geo])
    check(f"case {ci} conv2d_backprop_input NHWC", ref, got, scale)
    dy_nchw = np.transpose(dy_nhwc, (0, 3, 1, 2))
    got = drive("bwd", "nchw", [f"w={wpath}", f"in={save('dy.npy', dy_nchw)}",
                                f"xshape={n},{cin},{h},{w}", *geo])
    ref_nchw = try_nchw(lambda: backprop_input([n, cin, h, w], hwio, dy_nchw, [1, 1, s, s],
                                               tf_pad_nchw, [1, 1, d, d], "NCHW"))
    if ref_nchw is None:
        ref_nchw = np.transpose(ref, (0, 3, 1, 2))
    check(f"case {ci} conv2d_backprop_input NCHW", ref_nchw, got, scale)
    # ---- conv_transpose: x (n, cout, oh, ow) -> y (n, cin, h, w); weight (cout, cin, kh, kw)
    # in PyTorch's (Cin_t, Cout_t, KH, KW) order, TF filter (KH, KW, Cout_t, Cin_t) ----
    bias = rng.standard_normal(cin).astype(np.float32)
    x_nhwc = rng.standard_normal((n, oh, ow, cout)).astype(np.float32)
    # output_padding resolves the extent: h = (oh-1)*s - pt - pb + d*(kh-1) + oph + 1
    oph = h - ((oh - 1) * s - pt - pb + d * (kh - 1) + 1)
    opw = w - ((ow - 1) * s - pl - pr + d * (kw - 1) + 1)
    filt = np.transpose(wt, (2, 3, 1, 0))
    ref = (tf.nn.conv2d_transpose(x_nhwc, filt, [n, h, w, cin], [1, s, s, 1], tf_pad,
                                  dilations=[1, d, d, 1]) + bias).numpy()
    scale = float((tf.nn.conv2d_transpose(np.abs(x_nhwc), np.abs(filt), [n, h, w, cin],
                                          [1, s, s, 1], tf_pad, dilations=[1, d, d, 1])
                   + np.abs(bias)).numpy().max())
    bpath = save("b.npy", bias)
    got = drive("transpose", "nhwc", [f"w={wpath}", f"in={save('x.npy', x_nhwc)}",
                                      f"bias={bpath}", f"outpad={oph},{opw}", *geo])
    check(f"case {ci} conv2d_transpose NHWC", ref, got, scale)
    x_nchw = np.transpose(x_nhwc, (0, 3, 1, 2))
    got = drive("transpose", "nchw", [f"w={wpath}", f"in={save('x.npy', x_nchw)}",
                                      f"bias={bpath}", f"outpad={oph},{opw}", *geo])
    ref_nchw = try_nchw(lambda: tf.nn.bias_add(tf.nn.conv2d_transpose(
        x_nchw, filt, [n, cin, h, w], [1, 1, s, s], tf_pad_nchw, data_format="NCHW",
        dilations=[1, 1, d, d]), bias, data_format="NCHW"))
    if ref_nchw is None:
        ref_nchw = np.transpose(ref, (0, 3, 1, 2))
    check(f"case {ci} conv2d_transpose NCHW", ref_nchw, got, scale)


def refuses(fn):
    try:
        fn()
        return False
    except (tf.errors.OpError, ValueError):
        return True


def same_pads(i, k, s, d):
    """TensorFlow's SAME padding (before, after) of one axis."""
    total = max((-(-i // s) - 1) * s + d * (k - 1) + 1 - i, 0)
    return total // 2, total - total // 2


# (N, Cin, Cout, H, W, KH, KW, stride, padding, dil): NCHW and dilation 2, string padding
ONEDNN = _pywrap_util_port.IsMklEnabled()
print(f"note: TensorFlow {tf.__version__}: oneDNN {'on' if ONEDNN else 'off'} in this process")
NAMED = [(1, 4, 6, 9, 8, 3, 3, 1, "SAME", 2), (2, 3, 5, 10, 9, 3, 2, 2, "SAME", 1),
         (1, 5, 4, 11, 10, 3, 3, 1, "VALID", 2), (1, 2, 3, 8, 8, 5, 5, 2, "SAME", 2)]
for ci, (n, cin, cout, h, w, kh, kw, s, padding, d) in enumerate(NAMED):
    (pt, pb), (pl, pr) = ((same_pads(h, kh, s, d), same_pads(w, kw, s, d)) if padding == "SAME"
                          else ((0, 0), (0, 0)))
    oh, ow = out_extent(h, kh, s, pt, pb, d), out_extent(w, kw, s, pl, pr, d)
    wt = rng.standard_normal((cout, cin, kh, kw)).astype(np.float32)
    wt *= rng.random(wt.shape) >= 0.5
    hwio = np.transpose(wt, (2, 3, 1, 0))
    dy = rng.standard_normal((n, cout, oh, ow)).astype(np.float32)
    dy_nhwc = np.transpose(dy, (0, 2, 3, 1))
    # NHWC reference at dilation 1 with the filter dilated by hand (zeros between taps):
    # every setting accepts it
    dilated = np.zeros((d * (kh - 1) + 1, d * (kw - 1) + 1, cin, cout), np.float32)
    dilated[::d, ::d] = hwio
    ref = np.transpose(backprop_input([n, h, w, cin], dilated, dy_nhwc, [1, s, s, 1], padding,
                                      [1, 1, 1, 1]).numpy(), (0, 3, 1, 2))
    scale = float(backprop_input([n, h, w, cin], np.abs(dilated), np.abs(dy_nhwc), [1, s, s, 1],
                                 padding, [1, 1, 1, 1]).numpy().max())
    if ONEDNN:  # TensorFlow's own NCHW answer; refusing here fails the test
        ref = backprop_input([n, cin, h, w], hwio, dy, [1, 1, s, s], padding, [1, 1, d, d],
                             "NCHW").numpy()
    elif not refuses(lambda: backprop_input([n, cin, h, w], hwio, dy, [1, 1, s, s], padding,
                                            [1, 1, d, d], "NCHW")):
        CHECKS.failed += 1
        print(f"FAIL {padding} case {ci}: NCHW accepted with oneDNN off")
    got = drive("bwd", "nchw", [f"w={save('w.npy', wt)}", f"in={save('dy.npy', dy)}",
                                f"xshape={n},{cin},{h},{w}", f"stride={s},{s}",
                                f"pad={pt},{pl},{pb},{pr}", f"dil={d},{d}", "groups=1"])
    check(f"{padding} case {ci} conv2d_backprop_input NCHW dilation {d}", ref, got, scale)

filt = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
explicit = [[0, 0], [0, 0], [1, 1], [1, 1]]
for what, refused in [
        ("explicit padding, NCHW", refuses(lambda: backprop_input(
            [1, 2, 6, 6], filt, np.ones((1, 3, 6, 6), np.float32), [1, 1, 1, 1], explicit,
            [1, 1, 1, 1], "NCHW"))),
        ("explicit padding, NHWC dilation 2", refuses(lambda: backprop_input(
            [1, 6, 6, 2], filt, np.ones((1, 4, 4, 3), np.float32), [1, 1, 1, 1],
            [[0, 0], [1, 1], [1, 1], [0, 0]], [1, 2, 2, 1])))]:
    if refused:
        CHECKS.passed += 1
    else:
        CHECKS.failed += 1
        print(f"FAIL TensorFlow {tf.__version__} accepted {what}: docs/backward.md says it refuses")
# exit 0: accepted, 3: refused (the variable is read once, when TensorFlow starts)
CHILD = """import sys, numpy as np, tensorflow as tf
try:
    tf.compat.v1.nn.conv2d_backprop_input([1, 2, 6, 6], np.ones((3, 3, 2, 3), np.float32),
        np.ones((1, 3, 6, 6), np.float32), [1, 1, 1, 1], "SAME", data_format="NCHW",
        dilations=[1, 1, 2, 2])
except tf.errors.OpError:
    sys.exit(3)
"""
for setting, expect_rc in (("1", 0), ("0", 3)):
    rc = subprocess.run([sys.executable, "-c", CHILD],
                        env=dict(os.environ, TF_ENABLE_ONEDNN_OPTS=setting)).returncode
    if rc == expect_rc:
        CHECKS.passed += 1
    else:
        CHECKS.failed += 1
        print(f"FAIL TF_ENABLE_ONEDNN_OPTS={setting}: NCHW SAME dilation-2 backprop-input "
              f"exited {rc}, expected {expect_rc} (0 accepted, 3 refused)")

CHECKS.finish()
