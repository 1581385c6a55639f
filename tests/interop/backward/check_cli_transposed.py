#!/usr/bin/env python3
"""tests/interop/backward/check_cli_transposed.py: `sconv run` of a layer packed with
`sconv prune --transposed` against the framework's own transposed convolution.

Usage: check_cli_transposed.py SCONV torch|tf
  torch  ConvTranspose2d weights (Cin, Cout/G, KH, KW) pruned with --layout oihw; the output
         of F.conv_transpose2d with the pruned weights (sconv unpack) equals `sconv run` on
         NCHW and on NHWC input, within 1e-4 relative (max |diff| / max |ref|).
  tf     Keras Conv2DTranspose kernels (KH, KW, Cout, Cin) pruned with --layout hwio (O = Cin),
         padding "valid" and "same" expressed as --pad; the layer called with the pruned
         kernel equals `sconv run` on NHWC input, within 1e-4 relative.
Last line: "N passed, M failed"; exit 1 on any failure.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

SCONV, FRAMEWORK = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix=f"sconv-cli-transposed-{FRAMEWORK}-")
passed = failed = 0


def sconv(*args):
    p = subprocess.run([SCONV] + [str(a) for a in args], cwd=TMP, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"sconv {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")
    return p.stdout


def path(name):
    return os.path.join(TMP, name)


def rel(y, ref):
    return float(np.max(np.abs(y.astype(np.float64) - ref)) / max(np.max(np.abs(ref)), 1e-30))


def report(name, err):
    global passed, failed
    ok = err <= 1e-4
    passed += ok
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'}  {name}: relative error {err:.3g}")


def run_torch():
    import torch
    import torch.nn.functional as F
    torch.manual_seed(20261123)
    # (N, Cin, Cout, H, W, K, stride, pad, dil, groups, output_padding, pack)
    cases = [(2, 6, 4, 7, 5, 3, 2, 1, 1, 1, 1, "nchw"),
             (1, 8, 6, 6, 9, 3, 2, 0, 2, 2, 1, "nhwc"),
             (2, 4, 8, 5, 5, 4, 3, 1, 1, 4, 2, "nchw"),
             (1, 6, 3, 9, 4, 1, 1, 0, 1, 3, 0, "nhwc")]
    for (n, cin, cout, h, w, k, s, p, d, g, op, pack) in cases:
        name = f"torch Cin{cin} Cout{cout} {h}x{w} k{k} s{s} p{p} d{d} g{g} op{op} pack {pack}"
        m = torch.nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=op,
                                     groups=g, dilation=d, bias=False)
        np.save(path("w.npy"), m.weight.detach().numpy())
        sconv("prune", "-w", "w.npy", "--layout", "oihw", "--transposed", "--sparsity", "0.7",
              "--stride", s, "--pad", p, "--dilation", d, "--groups", g, "--output-padding", op,
              "--pack", pack, "-o", "t.sconv", "-q")
        sconv("unpack", "-m", "t.sconv", "--layout", "oihw", "-o", "u.npy")
        wp = torch.from_numpy(np.load(path("u.npy")))
        removed = int((wp == 0).sum())
        assert removed == round(0.7 * wp.numel()), f"{removed} of {wp.numel()} removed"
        x = torch.randn(n, cin, h, w)
        ref = F.conv_transpose2d(x.double(), wp.double(), stride=s, padding=p, output_padding=op,
                                 groups=g, dilation=d).numpy()
        np.save(path("x.npy"), x.numpy())
        np.save(path("xh.npy"), x.permute(0, 2, 3, 1).contiguous().numpy())
        sconv("run", "-m", "t.sconv", "-i", "x.npy", "--in-layout", "nchw", "-o", "y.npy")
        sconv("run", "-m", "t.sconv", "-i", "xh.npy", "--in-layout", "nhwc", "-o", "yh.npy")
        y, yh = np.load(path("y.npy")), np.load(path("yh.npy")).transpose(0, 3, 1, 2)
        assert y.shape == ref.shape and yh.shape == ref.shape, (y.shape, yh.shape, ref.shape)
        report(name + " nchw", rel(y, ref))
        report(name + " nhwc", rel(yh, ref))


def run_tf():
    import tensorflow as tf
    tf.random.set_seed(20261123)
    rng = np.random.default_rng(20261123)
    # (N, Cin, Cout, H, W, K, stride, padding)
    cases = [(2, 6, 4, 7, 5, 3, 2, "valid"), (1, 5, 8, 6, 6, 3, 2, "same"),
             (1, 4, 6, 5, 7, 4, 2, "same"), (2, 3, 5, 4, 4, 3, 1, "same")]
    for (n, cin, cout, h, w, k, s, padding) in cases:
        name = f"tf Cin{cin} Cout{cout} {h}x{w} k{k} s{s} {padding}"
        layer = tf.keras.layers.Conv2DTranspose(cout, k, strides=s, padding=padding,
                                                use_bias=False)
        x = rng.standard_normal((n, h, w, cin)).astype(np.float32)
        layer(x)  # build
        kernel = layer.get_weights()[0]
        assert kernel.shape == (k, k, cout, cin), kernel.shape
        # "same": the output is in*stride, the forward conv's SAME padding of it is cropped
        total = max(k - s, 0) if padding == "same" else 0
        top = total // 2
        pad = f"{top},{top},{total - top},{total - top}"
        np.save(path("k.npy"), kernel)
        np.save(path("x.npy"), x)
        sconv("prune", "-w", "k.npy", "--layout", "hwio", "--transposed", "--sparsity", "0.6",
              "--stride", s, "--pad", pad, "-o", "t.sconv", "-q")
        sconv("unpack", "-m", "t.sconv", "--layout", "hwio", "-o", "u.npy")
        layer.set_weights([np.load(path("u.npy"))])
        ref = layer(x).numpy().astype(np.float64)
        sconv("run", "-m", "t.sconv", "-i", "x.npy", "--in-layout", "nhwc", "-o", "y.npy")
        y = np.load(path("y.npy"))
        assert y.shape == ref.shape, (y.shape, ref.shape)
        report(name, rel(y, ref))


try:
    run_torch() if FRAMEWORK == "torch" else run_tf()
except Exception as e:  # noqa: BLE001 - reported as a failure, never hidden
    failed += 1
    print(f"FAIL  {e}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
