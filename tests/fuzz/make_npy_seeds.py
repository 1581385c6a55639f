#!/usr/bin/python3
# tests/fuzz/make_npy_seeds.py: write the extra .npy seeds of tests/fuzz/corpus/npy (valid
# files of every accepted kind plus near-valid and hostile headers); output committed.
import io
import struct
import sys

import numpy as np

out = sys.argv[1]


def save(name, arr, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, arr)
    else:
        np.lib.format.write_array(buf, arr, version=version)
    open(f"{out}/{name}", "wb").write(buf.getvalue())


def raw(name, header, data=b"", version=1):
    """A file with the given dict text (padded and terminated here)."""
    pre = 10 if version == 1 else 12
    text = header.encode("latin-1")
    pad = (-(pre + len(text) + 1)) % 64
    text += b" " * pad + b"\n"
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    open(f"{out}/{name}", "wb").write(b"\x93NUMPY" + bytes([version, 0]) + length + text + data)


rng = np.random.default_rng(8)
save("valid-f32-4d.npy", rng.standard_normal((2, 3, 2, 2)).astype("<f4"))
save("valid-f16-fortran-3d.npy", np.asfortranarray(rng.standard_normal((2, 3, 4)).astype("<f2")))
save("valid-f64-fortran-4d.npy", np.asfortranarray(rng.standard_normal((2, 1, 3, 2))))
save("valid-f32-empty.npy", np.zeros((0, 3), "<f4"))
save("valid-f32-1d-v2.npy", np.arange(5, dtype="<f4"), version=(2, 0))
save("valid-f64-specials.npy", np.array([np.inf, -np.inf, np.nan, 1e300, -0.0, 5e-324]))
raw("valid-native-order.npy", "{'descr': '=f4', 'fortran_order': False, 'shape': (2,), }",
    struct.pack("<2f", 1.5, -2.0))
raw("valid-py2-long.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1L, 2L), }",
    struct.pack("<2f", 1.0, 2.0))
raw("valid-v3.npy", "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
    struct.pack("<2f", 3.0, 4.0), version=3)
# hostile and near-valid
raw("hostile-terabyte.npy", "{'descr': '<f4', 'fortran_order': False, "
    "'shape': (1048576, 1048576, 1048576), }", b"\0" * 16)
raw("hostile-overflow.npy", "{'descr': '<f8', 'fortran_order': False, "
    "'shape': (4294967296, 4294967296, 4), }")
raw("hostile-zero-huge.npy", "{'descr': '<f4', 'fortran_order': True, "
    "'shape': (0, 4611686018427387904, 4611686018427387904), }")
raw("bad-big-endian.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", b"\0" * 4)
raw("bad-int.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", b"\0" * 4)
raw("bad-structured.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
    b"\0" * 4)
raw("bad-rank5.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }",
    b"\0" * 4)
raw("bad-truncated-data.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
    b"\0" * 8)
raw("bad-missing-key.npy", "{'descr': '<f4', 'shape': (1,), }", b"\0" * 4)
raw("bad-not-tuple.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", b"\0" * 12)
