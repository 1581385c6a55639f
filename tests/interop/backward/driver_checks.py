"""tests/interop/backward/driver_checks.py: backward_driver calls and their tally, for the checks.

Checks(driver, prefix) keeps a scratch directory: save() writes an input there, drive() runs
the driver and loads its output, check() compares within a tolerance scaled by the
reference's magnitude and counts; finish() prints "N passed, M failed" and exits 1 on failure.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np


class Checks:
    def __init__(self, driver, prefix):
        self.driver = driver
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.passed = self.failed = 0

    def save(self, name, arr):
        path = os.path.join(self.tmp, name)
        np.save(path, np.ascontiguousarray(arr, dtype=np.float32))
        return path

    def drive(self, mode, layout, args):
        out = os.path.join(self.tmp, f"out_{mode}_{layout}.npy")
        subprocess.run([self.driver, mode, f"layout={layout}", f"out={out}", *args], check=True)
        return np.load(out)

    def check(self, name, expect, got, scale):
        tol = 1e-5 * max(scale, 1.0)
        if expect.shape == got.shape and np.abs(expect - got).max(initial=0.0) <= tol:
            self.passed += 1
        else:
            self.failed += 1
            err = np.abs(expect - got).max() if expect.shape == got.shape else "shape"
            print(f"FAIL {name}: max |diff| {err} (tolerance {tol}), shapes {expect.shape} vs "
                  f"{got.shape}")

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)
