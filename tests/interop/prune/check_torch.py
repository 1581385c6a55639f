#!/usr/bin/env python3
"""tests/interop/prune/check_torch.py: sconv's torch-convention masks equal torch.nn.utils.prune's.

Usage: check_torch.py PRUNE_DRIVER
Gaussian weights (fixed seed, so magnitudes never tie: torch.topk does not specify how
it breaks ties) pruned by l1_unstructured, global_unstructured and ln_structured (n = 1, 2,
dim = 0); the driver prunes the same .npy weights and the masks must be identical.
Last line: "N passed, M failed"; exit status 1 on any failure.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.utils.prune as prune

DRIVER = sys.argv[1]
TMP_DIR = tempfile.TemporaryDirectory(prefix="sconv-prune-torch-")
TMP = TMP_DIR.name
passed = failed = 0


def conv(shape, seed):
    torch.manual_seed(seed)
    o, i, kh, kw = shape
    m = torch.nn.Conv2d(i, o, (kh, kw), bias=False)
    with torch.no_grad():
        m.weight.copy_(torch.randn(shape))
    return m


def run_driver(method, amount, weights, layout="oihw", extra=()):
    """Prune the arrays with the driver; returns the masks (float 0/1 arrays)."""
    args = [DRIVER, method, amount, "torch", layout, *extra]
    outs = []
    for n, w in enumerate(weights):
        src, dst = os.path.join(TMP, f"w{n}.npy"), os.path.join(TMP, f"m{n}.npy")
        np.save(src, np.ascontiguousarray(w, dtype=np.float32))
        args += [src, dst]
        outs.append(dst)
    subprocess.run(args, check=True)
    return [np.load(p) for p in outs]


def amount_arg(amount):
    return f"count={amount}" if isinstance(amount, int) else repr(amount)


def check(name, expect, got):
    global passed, failed
    if expect.shape == got.shape and np.array_equal(expect, got):
        passed += 1
    else:
        failed += 1
        diff = np.argwhere(expect != got) if expect.shape == got.shape else "shape"
        print(f"FAIL {name}: torch kept {int(expect.sum())}, sconv {int(got.sum())}; "
              f"first differences {diff[:5] if not isinstance(diff, str) else diff}")


SHAPES = [(5, 3, 3, 3), (7, 1, 1, 1), (4, 3, 5, 5), (1, 1, 1, 5), (3, 2, 1, 3), (16, 8, 3, 3)]
# fractions incl. half-way products (5 * 0.5, 7 * 0.5, 15 * 0.5 ...) and integer counts
AMOUNTS = [0.0, 0.1, 0.25, 0.3, 0.5, 0.77, 0.9, 1.0, 3]

for s, shape in enumerate(SHAPES):
    for amount in AMOUNTS:
        if isinstance(amount, int) and amount > np.prod(shape):
            continue
        m = conv(shape, 1000 + s)
        w = m.weight.detach().numpy().copy()
        prune.l1_unstructured(m, "weight", amount=amount)
        expect = m.weight_mask.numpy()
        check(f"l1_unstructured {shape} amount={amount}", expect,
              run_driver("l1", amount_arg(amount), [w])[0])
        # the same weights stored HWIO: the mask is the HWIO-permuted torch mask
        got = run_driver("l1", amount_arg(amount), [w.transpose(2, 3, 1, 0)], "hwio")[0]
        check(f"l1_unstructured {shape} amount={amount} (hwio)", expect.transpose(2, 3, 1, 0), got)

for amount in [0.0, 0.2, 0.5, 0.75, 0.9, 1.0, 7]:
    mods = [conv(sh, 2000 + n) for n, sh in enumerate([(5, 3, 3, 3), (7, 1, 1, 1), (4, 3, 5, 5)])]
    ws = [m.weight.detach().numpy().copy() for m in mods]
    prune.global_unstructured([(m, "weight") for m in mods], pruning_method=prune.L1Unstructured,
                              amount=amount)
    got = run_driver("global", amount_arg(amount), ws)
    for n, m in enumerate(mods):
        check(f"global_unstructured layer {n} amount={amount}", m.weight_mask.numpy(), got[n])

for s, shape in enumerate(SHAPES):
    for norm in (1, 2):
        for amount in [0.0, 0.2, 0.25, 0.4, 0.5, 0.6, 1.0, 1]:
            if isinstance(amount, int) and amount > shape[0]:
                continue
            m = conv(shape, 3000 + s)
            w = m.weight.detach().numpy().copy()
            prune.ln_structured(m, "weight", amount=amount, n=norm, dim=0)
            expect = m.weight_mask.numpy()
            check(f"ln_structured n={norm} {shape} amount={amount}", expect,
                  run_driver(f"filter:l{norm}", amount_arg(amount), [w])[0])
            got = run_driver(f"filter:l{norm}", amount_arg(amount), [w.transpose(0, 2, 3, 1)],
                             "ohwi")[0]
            check(f"ln_structured n={norm} {shape} amount={amount} (ohwi)",
                  expect.transpose(0, 2, 3, 1), got)

TMP_DIR.cleanup()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
