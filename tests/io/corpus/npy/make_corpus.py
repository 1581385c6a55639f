#!/usr/bin/python3
# tests/io/corpus/npy/make_corpus.py: regenerate the NumPy-written .npy files that
# tests/io/test_npy.c checks value by value (run from any directory:
#   /usr/bin/python3 tests/io/corpus/npy/make_corpus.py   # Debian numpy 1.24)
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(here, name)


# float32, C order, rank 3: a[i, j, k] = 0.5 * (12 i + 4 j + k) - 3
np.save(path("f32_c_2x3x4.npy"),
        (np.arange(24, dtype=np.float32).reshape(2, 3, 4) * np.float32(0.5) - np.float32(3)))

# float64, Fortran order, rank 2: a[i, j] = 10 i + j + 0.25, and a[2, 3] = 0.1
a = np.arange(3)[:, None] * 10.0 + np.arange(4)[None, :] + 0.25
a[2, 3] = 0.1
a = np.asfortranarray(a)
assert a.flags.f_contiguous and not a.flags.c_contiguous
np.save(path("f64_fortran_3x4.npy"), a)

# float16 specials: 1, -2, max, smallest subnormal, largest subnormal, smallest normal,
# inf, -inf, nan, -0, 1/3 rounded to half
np.save(path("f16_specials.npy"),
        np.array([1.0, -2.0, 65504.0, 2.0**-24, 1023 * 2.0**-24, 2.0**-14,
                  np.inf, -np.inf, np.nan, -0.0, 1.0 / 3.0], dtype=np.float16))

# version 2.0 and 3.0 headers, float32 (2, 2): 1.5, -0.5, 1e-3, 1e30
b = np.array([[1.5, -0.5], [1e-3, 1e30]], dtype=np.float32)
with open(path("f32_v2_2x2.npy"), "wb") as f:
    np.lib.format.write_array(f, b, version=(2, 0))
with open(path("f32_v3_2x2.npy"), "wb") as f:
    np.lib.format.write_array(f, b, version=(3, 0))

# 0-d float32 scalar 3.5
np.save(path("f32_scalar.npy"), np.array(3.5, dtype=np.float32))
