#!/usr/bin/env python3
"""tests/interop/format/check_format.py: safetensors and plain NumPy read sconv's .sconv files.

Usage: check_format.py FORMAT_DRIVER DOCS_FORMAT_MD   (the venv interpreter: needs safetensors)
The driver packs four layers and writes model.sconv (and a conv_transpose layer in
transposed.sconv, format_version 2, checked the same way) plus, per layer, the expected dense
pruned weights (computed in C by explicit loops) and sc_layer_unpack's output, as .npy.
Checks, per layer:
  - safetensors.numpy.load_file opens the file; its row_ptr/col_idx/values/bias equal the
    CSR that NumPy derives from the expected dense weights in the layer's pack order;
  - the metadata (via safetensors.safe_open) has the documented keys and values, and the
    crc32 equals zlib.crc32 of the tensors' bytes;
  - the ten NumPy lines of docs/format.md (extracted from the doc and executed) return the
    expected dense weights, equal to sc_layer_unpack's.
Last line: "N passed, M failed"; exit status 1 on any failure.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import safetensors
from safetensors.numpy import load_file

DRIVER, DOC = sys.argv[1], sys.argv[2]
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def reader_from_doc(path):
    """The fenced python block between the numpy-reader markers, executed: sconv_dense."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r"<!-- numpy-reader:begin -->\s*```python\n(.*?)```\s*<!-- numpy-reader:end -->",
                  text, re.S)
    if not m:
        raise SystemExit("docs/format.md: no numpy-reader block")
    code = m.group(1)
    lines = [ln for ln in code.splitlines() if ln.strip()]
    check(len(lines) <= 10, "the NumPy reader in docs/format.md is at most ten lines (%d)" % len(lines))
    env = {}
    exec(compile(code, "docs/format.md", "exec"), env)
    return env["sconv_dense"]


def csr_of(dense, order):
    """Reference CSR of OIHW weights in pack order chw or hwc, from NumPy alone."""
    oc = dense.shape[0]
    mat = dense.reshape(oc, -1) if order == "chw" else dense.transpose(0, 2, 3, 1).reshape(oc, -1)
    rows, cols = np.nonzero(mat)  # row-major: rows ascending, columns ascending per row
    row_ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=oc))])
    return row_ptr, cols, mat[rows, cols]


def main():
    tmp = tempfile.mkdtemp(prefix="sconv-format-")
    subprocess.run([DRIVER, tmp], check=True)
    path = os.path.join(tmp, "model.sconv")
    sconv_dense = reader_from_doc(DOC)
    tensors = load_file(path)
    with safetensors.safe_open(path, framework="np") as f:
        meta = f.metadata()
    check(meta.get("format") == "sconv" and meta.get("format_version") == "1", "format keys")
    names = json.loads(meta["layers"])
    check(names == ["conv1", "block.2/dw", "wide", "empty"], "layer list %r" % names)
    for i, name in enumerate(names):
        exp = np.load(os.path.join(tmp, "%d.expected.npy" % i))
        got = np.load(os.path.join(tmp, "%d.unpacked.npy" % i))
        m = {k[len(name) + 1:]: v for k, v in meta.items() if k.startswith(name + ".")}
        order = m["pack_order"]
        oc, icg, kh, kw = (int(m[k]) for k in ("oc", "icg", "kh", "kw"))
        check(exp.shape == (oc, icg, kh, kw), "%s: dims %s vs %s" % (name, exp.shape, (oc, icg, kh, kw)))
        rp, ci, val = csr_of(exp, order)
        t_rp, t_ci, t_v = (tensors[name + "." + s] for s in ("row_ptr", "col_idx", "values"))
        check(t_rp.dtype == np.int32 and np.array_equal(t_rp, rp), "%s: row_ptr" % name)
        want_ci = np.uint16 if icg * kh * kw <= 65536 else np.uint32
        check(t_ci.dtype == want_ci and np.array_equal(t_ci, ci), "%s: col_idx (%s)" % (name, t_ci.dtype))
        check(t_v.dtype == np.float32 and np.array_equal(t_v, val), "%s: values" % name)
        check(int(m["nnz"]) == len(val), "%s: nnz metadata" % name)
        check(abs(float(m["sparsity"]) - (1 - len(val) / exp.size)) < 1e-12, "%s: sparsity" % name)
        parts = [t_rp, t_ci, t_v]
        bias_path = os.path.join(tmp, "%d.bias.npy" % i)
        if os.path.exists(bias_path):
            check(np.array_equal(tensors[name + ".bias"], np.load(bias_path)), "%s: bias" % name)
            parts.append(tensors[name + ".bias"])
        else:
            check(name + ".bias" not in tensors, "%s: no bias tensor" % name)
        crc = format(zlib.crc32(b"".join(p.astype(p.dtype.newbyteorder("<")).tobytes() for p in parts)), "08x")
        check(m["crc32"] == crc, "%s: crc32 %s vs zlib %s" % (name, m["crc32"], crc))
        check(m["padding"] == "1,1,1,1" and m["stride"] == "1,1" and m["dilation"] == "1,1",
              "%s: conv params" % name)
        check(m["layout"] in ("oihw", "ohwi", "hwio") and m["method"] == "mask", "%s: layout/method" % name)
        dense = sconv_dense(path, name)
        check(dense.dtype == np.float32 and np.array_equal(dense, exp),
              "%s: the docs' NumPy lines give the expected weights" % name)
        check(np.array_equal(got, exp), "%s: sc_layer_unpack gives the expected weights" % name)
    check(int(meta["wide.icg"]) * 9 > 65536 and tensors["wide.col_idx"].dtype == np.uint32,
          "a 32-bit-index layer is covered")
    check(int(meta["empty.nnz"]) == 0 and tensors["empty.values"].size == 0, "an empty layer is covered")
    # a conv_transpose layer: version 2, kind and output padding; the same tensors and reader
    tpath = os.path.join(tmp, "transposed.sconv")
    t = load_file(tpath)
    with safetensors.safe_open(tpath, framework="np") as f:
        tmeta = f.metadata()
    check(tmeta.get("format_version") == "2", "a conv_transpose file is format_version 2")
    check(tmeta.get("up.kind") == "conv_transpose" and tmeta.get("up.output_padding") == "1,1",
          "up: kind and output_padding metadata")
    check(not any(k.endswith((".kind", ".output_padding")) for k in meta),
          "conv layers carry no kind or output_padding keys")
    exp = np.load(os.path.join(tmp, "up.expected.npy"))
    rp, ci, val = csr_of(exp, "hwc")
    check(np.array_equal(t["up.row_ptr"], rp) and np.array_equal(t["up.col_idx"], ci) and
          np.array_equal(t["up.values"], val) and "up.bias" not in t, "up: CSR tensors")
    dense = sconv_dense(tpath, "up")
    check(np.array_equal(dense, exp), "up: the docs' NumPy lines give the (Cin, Cout/g, KH, KW) weight")
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
