#!/usr/bin/env python3
"""tests/interop/prune/check_tfmot.py: sconv's tfmot-convention masks equal TF-MOT's pruning.

Usage: check_tfmot.py PRUNE_DRIVER   (run with TF_USE_LEGACY_KERAS=1, the venv interpreter)
A tf_keras Conv2D wrapped in tfmot prune_low_magnitude with ConstantSparsity(s,
begin_step=0, frequency=1) takes one training step with learning rate 0 (the
UpdatePruningStep callback applies the mask), then strip_pruning; get_weights()[0] is the
pruned HWIO kernel. The driver prunes the original HWIO kernel with the tfmot convention:
the zeros must be in the same places and the survivors unchanged. Tied kernels show TF-MOT
keeping every weight tied at the threshold. Then the claims docs/pruning.md makes about
TF-MOT: n = 15 at 0.7 is exactly 4.5 in float32 and keeps 4; the schedules refuse a target
sparsity of 1.0, while TF-MOT's mask rule run at 1.0 keeps what sconv's amount 1 keeps; a
DepthwiseConv2D stays unpruned and a Conv2D(groups=C) is pruned like any kernel.
Last line: "N passed, M failed"; exit status 1 on any failure.
"""
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
import tensorflow_model_optimization as tfmot  # noqa: E402
from tensorflow_model_optimization.python.core.sparsity.keras import pruning_impl  # noqa: E402

DRIVER = sys.argv[1]
TMP_DIR = tempfile.TemporaryDirectory(prefix="sconv-prune-tfmot-")
TMP = TMP_DIR.name
passed = failed = 0


def tfmot_prune(kernel, sparsity, groups=1, depthwise=False):
    """The kernel (HWIO; depthwise: KH, KW, C, 1) after one TF-MOT pruning step at constant
    sparsity."""
    kh, kw, icg, cout = kernel.shape
    cin = kernel.shape[2] if depthwise else icg * groups
    sched = tfmot.sparsity.keras.ConstantSparsity(sparsity, begin_step=0, frequency=1)
    layer = (tf_keras.layers.DepthwiseConv2D((kh, kw), use_bias=False) if depthwise else
             tf_keras.layers.Conv2D(cout, (kh, kw), groups=groups, use_bias=False))
    model = tf_keras.Sequential([
        tf_keras.layers.InputLayer(input_shape=(kh + 2, kw + 2, cin)),
        tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=sched),
    ])
    (model.layers[0].layer.depthwise_kernel if depthwise else
     model.layers[0].layer.kernel).assign(kernel)
    model.compile(optimizer=tf_keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    x = np.zeros((1, kh + 2, kw + 2, cin), np.float32)
    y = np.zeros((1, 3, 3, cin if depthwise else cout), np.float32)
    model.fit(x, y, batch_size=1, epochs=1, verbose=0,
              callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    stripped = tfmot.sparsity.keras.strip_pruning(model)
    return stripped.layers[0].get_weights()[0]


def sconv_mask(kernel, sparsity):
    src, dst = os.path.join(TMP, "w.npy"), os.path.join(TMP, "m.npy")
    np.save(src, kernel)
    subprocess.run([DRIVER, "l1", repr(sparsity), "tfmot", "hwio", src, dst], check=True)
    return np.load(dst)


def tied(shape):
    """Magnitudes from three levels with random signs: ties at every threshold."""
    mags = rng.integers(1, 4, size=shape).astype(np.float32) * 0.5
    return (mags * rng.choice([-1.0, 1.0], size=shape)).astype(np.float32)


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}")


# (HWIO shape, sparsity): odd sizes (n = 5 at 0.5 keeps 2; n = 15 at 0.7 keeps 4, where
# float32 and double arithmetic disagree), high and low sparsity.
CASES = [((1, 1, 5, 1), 0.5), ((3, 3, 4, 5), 0.5), ((3, 3, 3, 7), 0.3), ((5, 5, 3, 4), 0.9),
         ((1, 1, 3, 5), 0.7), ((3, 1, 2, 3), 0.25), ((3, 3, 8, 16), 0.85)]
TIED = [((3, 3, 4, 5), 0.5), ((1, 1, 6, 5), 0.7), ((3, 3, 2, 3), 0.6)]
rng = np.random.default_rng(20261123)
for shape, sparsity, kind in [c + ("gauss",) for c in CASES] + [c + ("tied",) for c in TIED]:
    kernel = rng.standard_normal(shape).astype(np.float32) if kind == "gauss" else tied(shape)
    pruned = tfmot_prune(kernel, sparsity)
    mask = sconv_mask(kernel, sparsity)
    expect_mask = (pruned != 0).astype(np.float32)
    same_zeros = np.array_equal(expect_mask, mask)
    survivors_intact = np.array_equal(pruned, kernel * mask)
    pruned_something = expect_mask.sum() < kernel.size  # TF-MOT really applied a mask
    if same_zeros and survivors_intact and pruned_something:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {shape} {kind} sparsity={sparsity}: TF-MOT kept {int(expect_mask.sum())}, "
              f"sconv {int(mask.sum())} of {kernel.size}, survivors intact: {survivors_intact}")

    if kind == "tied":  # TF-MOT kept more than k: the tie widening is really exercised
        k = max(int(np.round(np.float32(kernel.size) * (np.float32(1) - np.float32(sparsity)))), 1)
        check(expect_mask.sum() > k, f"{shape} tied at {sparsity}: TF-MOT kept "
              f"{int(expect_mask.sum())}, no more than k = {k}")

# n = 15 at 0.7, computed as pruning_impl._update_mask does: exactly 4.5, rounded to 4.
product = tf.cast(15, tf.float32) * (1 - tf.constant(0.7, tf.float32))
check(float(product) == 4.5 and float(tf.math.round(product)) == 4.0,
      f"n = 15 at 0.7: float32 product {float(product)!r}, rounded {float(tf.math.round(product))}")
kernel = rng.standard_normal((1, 1, 3, 5)).astype(np.float32)
check(int((tfmot_prune(kernel, 0.7) != 0).sum()) == 4, "n = 15 at 0.7: TF-MOT keeps 4")

# A target sparsity of 1.0: every schedule refuses it...
for make in (lambda: tfmot.sparsity.keras.ConstantSparsity(1.0, begin_step=0),
             lambda: tfmot.sparsity.keras.PolynomialDecay(0.0, 1.0, begin_step=0, end_step=10)):
    try:
        make()
        check(False, "a TF-MOT schedule accepted a target sparsity of 1.0")
    except ValueError:
        check(True, "")
# ...but TF-MOT's mask rule itself, given 1.0, keeps max(round(n * 0), 1) = 1 weight and its
# ties, which is what sconv's --sparsity 1 --convention tfmot keeps.
for kernel in (rng.standard_normal((3, 3, 2, 4)).astype(np.float32), tied((3, 3, 2, 4))):
    weight = tf.Variable(kernel)
    rule = pruning_impl.Pruning(lambda: tf.constant(1), [], lambda step: (True, tf.constant(1.0)),
                                [1, 1], "AVG")
    _, expect = rule._update_mask(weight)
    expect = expect.numpy().astype(np.float32)
    mask = sconv_mask(kernel, 1.0)
    check(np.array_equal(expect, mask) and expect.sum() >= 1,
          f"sparsity 1.0: TF-MOT's rule keeps {int(expect.sum())}, sconv {int(mask.sum())}")

# Depthwise: prune_low_magnitude leaves DepthwiseConv2D's kernel alone; Conv2D(groups=C),
# the same convolution, is pruned as any kernel (and sconv's mask matches).
kernel = rng.standard_normal((3, 3, 6, 1)).astype(np.float32)
check(np.array_equal(tfmot_prune(kernel, 0.5, depthwise=True), kernel),
      "TF-MOT pruned a DepthwiseConv2D")
grouped = kernel.reshape(3, 3, 1, 6)  # HWIO, icg = 1, groups = 6
pruned = tfmot_prune(grouped, 0.5, groups=6)
check(np.array_equal(pruned != 0, sconv_mask(grouped, 0.5) != 0) and (pruned == 0).sum() == 27,
      f"Conv2D(groups=6): TF-MOT zeroed {int((pruned == 0).sum())} of 54")

TMP_DIR.cleanup()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
