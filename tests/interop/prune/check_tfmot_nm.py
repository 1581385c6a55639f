#!/usr/bin/env python3
"""tests/interop/prune/check_tfmot_nm.py: sconv's nm:N:M masks under the tfmot convention
equal TF-MOT's prune_low_magnitude(sparsity_m_by_n=(M - N, M)).

Usage: check_tfmot_nm.py PRUNE_DRIVER   (run with TF_USE_LEGACY_KERAS=1, the venv interpreter)
A tf_keras Conv2D (groups allowed) wrapped in prune_low_magnitude with sparsity_m_by_n takes
training steps at learning rate 0 (the UpdatePruningStep callback applies the N:M mask at
step 1), then strip_pruning; get_weights()[0] is the pruned HWIO kernel. The driver prunes
the original kernel ("nm:N:M", tfmot, HWIO and, to show the pattern ignores the pack order,
OIHW with order=chw): its mask must equal the wrapper's mask variable exactly. Real-shaped layers, input
channels that are not a multiple of M (TF-MOT pads each tap's channel group) and kernels
with tied magnitudes (TF-MOT keeps the lower channel). Last line: "N passed, M failed";
exit status 1 on any failure.
"""
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tf_keras  # noqa: E402
import tensorflow_model_optimization as tfmot  # noqa: E402

DRIVER = sys.argv[1]
TMP_DIR = tempfile.TemporaryDirectory(prefix="sconv-prune-tfmot-nm-")
TMP = TMP_DIR.name
passed = failed = 0


def tfmot_prune_nm(kernel, n, m, groups):
    """TF-MOT's N:M mask (N kept of every M) and the pruned kernel, both HWIO."""
    kh, kw, icg, cout = kernel.shape
    cin = icg * groups
    model = tf_keras.Sequential([
        tf_keras.layers.InputLayer(input_shape=(kh + 2, kw + 2, cin)),
        tfmot.sparsity.keras.prune_low_magnitude(
            tf_keras.layers.Conv2D(cout, (kh, kw), groups=groups, use_bias=False),
            sparsity_m_by_n=(m - n, m)),
    ])
    model.layers[0].layer.kernel.assign(kernel)
    model.compile(optimizer=tf_keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    x = np.zeros((2, kh + 2, kw + 2, cin), np.float32)
    y = np.zeros((2, 3, 3, cout), np.float32)
    model.fit(x, y, batch_size=1, epochs=1, verbose=0,  # two steps: the mask is set at step 1
              callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    _, mask, _ = model.layers[0].pruning_vars[0]  # (weight, mask, threshold)
    stripped = tfmot.sparsity.keras.strip_pruning(model)
    return mask.numpy(), stripped.layers[0].get_weights()[0]


def sconv_mask(kernel, n, m, groups, layout):
    """sconv's mask of the HWIO kernel, pruned as HWIO or as OIHW (order=chw), in HWIO."""
    src, dst = os.path.join(TMP, "w.npy"), os.path.join(TMP, "m.npy")
    given = kernel if layout == "hwio" else kernel.transpose(3, 2, 0, 1)
    np.save(src, np.ascontiguousarray(given))
    extra = ["order=hwc"] if layout == "hwio" else ["order=chw"]
    subprocess.run([DRIVER, f"nm:{n}:{m}", "0", "tfmot", layout, *extra, f"groups={groups}",
                    src, dst], check=True)
    mask = np.load(dst)
    return mask if layout == "hwio" else mask.transpose(2, 3, 1, 0)


def tied(rng, shape, levels):
    """Magnitudes from a few levels with random signs: many ties inside every group."""
    mags = rng.integers(1, levels + 1, size=shape).astype(np.float32) * 0.25
    mags[rng.random(shape) < 0.15] = 0.0
    return (mags * rng.choice([-1.0, 1.0], size=shape)).astype(np.float32)


# (name, HWIO shape, groups, N, M, weights): ResNet/MobileNet-like layers, a stem with
# 3 channels, channels that are not a multiple of M, grouped and depthwise-as-grouped.
rng = np.random.default_rng(20261207)
gauss = lambda shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
CASES = [
    ("resnet stem 7x7 3->16", (7, 7, 3, 16), 1, 2, 4, gauss),
    ("3x3 64->64", (3, 3, 64, 64), 1, 2, 4, gauss),
    ("1x1 24->40", (1, 1, 24, 40), 1, 2, 4, gauss),
    ("3x3 6->8 (6 % 4 != 0)", (3, 3, 6, 8), 1, 2, 4, gauss),
    ("3x3 10->12 tied (10 % 4 != 0)", (3, 3, 10, 12), 1, 2, 4, lambda s: tied(rng, s, 3)),
    ("1x1 32->16 tied", (1, 1, 32, 16), 1, 2, 4, lambda s: tied(rng, s, 2)),
    ("3x3 all equal 5->4", (3, 3, 5, 4), 1, 2, 4, lambda s: np.ones(s, np.float32)),
    ("5x5 12->8 1:8 (12 % 8 != 0)", (5, 5, 12, 8), 1, 1, 8, lambda s: tied(rng, s, 4)),
    ("3x3 groups 2, 9 ch per group, 3:5", (3, 3, 9, 12), 2, 3, 5, lambda s: tied(rng, s, 3)),
    ("3x3 groups=C 1->1 (depthwise as Conv2D)", (3, 3, 1, 8), 8, 2, 4, gauss),
]
for name, shape, groups, n, m, make in CASES:
    kernel = make(shape)
    expect, pruned = tfmot_prune_nm(kernel, n, m, groups)
    applied = np.array_equal(pruned, kernel * expect)  # the mask is what TF-MOT applied
    for layout in ("hwio", "oihw"):
        mask = sconv_mask(kernel, n, m, groups, layout)
        same = np.array_equal(expect, mask)
        # the pattern: every tap's channel group keeps exactly min(N, size)
        kh, kw, icg, cout = shape
        counts_ok = all(
            mask[h, x, c0:c0 + m, o].sum() == min(n, icg - c0)
            for h in range(kh) for x in range(kw) for o in range(cout)
            for c0 in range(0, icg, m))
        if same and counts_ok and applied:
            passed += 1
        else:
            failed += 1
            diff = int((expect != mask).sum())
            print(f"FAIL {name} as {layout}: {diff} of {kernel.size} weights differ from "
                  f"TF-MOT, group counts right: {counts_ok}, TF-MOT applied it: {applied}")

TMP_DIR.cleanup()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
