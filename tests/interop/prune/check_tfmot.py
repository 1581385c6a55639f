#!/usr/bin/env python3
"""tests/interop/prune/check_tfmot.py: sconv's tfmot-convention masks equal TF-MOT's pruning.

Usage: check_tfmot.py PRUNE_DRIVER   (run with TF_USE_LEGACY_KERAS=1, the venv interpreter)
A tf_keras Conv2D wrapped in tfmot prune_low_magnitude with ConstantSparsity(s,
begin_step=0, frequency=1) takes one training step with learning rate 0 (the
UpdatePruningStep callback applies the mask), then strip_pruning; get_weights()[0] is the
pruned HWIO kernel. The driver prunes the original HWIO kernel with the tfmot convention:
the zeros must be in the same places and the survivors unchanged.
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

DRIVER = sys.argv[1]
TMP_DIR = tempfile.TemporaryDirectory(prefix="sconv-prune-tfmot-")
TMP = TMP_DIR.name
passed = failed = 0


def tfmot_prune(kernel, sparsity):
    """The kernel (HWIO) after one TF-MOT pruning step at constant sparsity."""
    kh, kw, cin, cout = kernel.shape
    sched = tfmot.sparsity.keras.ConstantSparsity(sparsity, begin_step=0, frequency=1)
    model = tf_keras.Sequential([
        tf_keras.layers.InputLayer(input_shape=(kh + 2, kw + 2, cin)),
        tfmot.sparsity.keras.prune_low_magnitude(
            tf_keras.layers.Conv2D(cout, (kh, kw), use_bias=False), pruning_schedule=sched),
    ])
    model.layers[0].layer.kernel.assign(kernel)
    model.compile(optimizer=tf_keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    x = np.zeros((1, kh + 2, kw + 2, cin), np.float32)
    y = np.zeros((1, 3, 3, cout), np.float32)
    model.fit(x, y, batch_size=1, epochs=1, verbose=0,
              callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    stripped = tfmot.sparsity.keras.strip_pruning(model)
    return stripped.layers[0].get_weights()[0]


def sconv_mask(kernel, sparsity):
    src, dst = os.path.join(TMP, "w.npy"), os.path.join(TMP, "m.npy")
    np.save(src, kernel)
    subprocess.run([DRIVER, "l1", repr(sparsity), "tfmot", "hwio", src, dst], check=True)
    return np.load(dst)


# (HWIO shape, sparsity): odd sizes (n = 5 at 0.5 keeps 2; n = 15 at 0.7 keeps 4, where
# float32 and double arithmetic disagree), high and low sparsity.
CASES = [((1, 1, 5, 1), 0.5), ((3, 3, 4, 5), 0.5), ((3, 3, 3, 7), 0.3), ((5, 5, 3, 4), 0.9),
         ((1, 1, 3, 5), 0.7), ((3, 1, 2, 3), 0.25), ((3, 3, 8, 16), 0.85)]
rng = np.random.default_rng(20261123)
for shape, sparsity in CASES:
    kernel = rng.standard_normal(shape).astype(np.float32)
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
        print(f"FAIL {shape} sparsity={sparsity}: TF-MOT kept {int(expect_mask.sum())}, "
              f"sconv {int(mask.sum())} of {kernel.size}, survivors intact: {survivors_intact}")

TMP_DIR.cleanup()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
