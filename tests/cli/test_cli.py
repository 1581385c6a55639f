# tests/cli/test_cli.py: end-to-end tests of the sconv command, driving the built binary
#   /usr/bin/python3 test_cli.py SCONV [PRUNE_ORACLE]
# Each test runs the binary in a scratch directory and compares files with NumPy or with
# the library itself (PRUNE_ORACLE, a small C driver calling sc_prune_mask directly).
# Prints one line per test and "N passed, M failed" last; exits 1 on any failure.
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

try:
    import numpy as np
except ImportError:
    print("tests/cli needs NumPy for /usr/bin/python3: apt-get install python3-numpy "
          "(or scripts/install-deps --python)")
    print("0 passed, 1 failed")
    sys.exit(1)

SCONV = os.path.abspath(sys.argv[1])
ORACLE = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def sconv(*args, cwd, env=None):
    """Run sconv; returns (exit code, stdout, stderr)."""
    p = subprocess.run([SCONV] + [str(a) for a in args], cwd=cwd, capture_output=True,
                       text=True, timeout=600, env=env, errors="replace")
    if p.returncode < 0:  # a signal: a crash or a sanitizer abort is never an expected outcome
        raise AssertionError(f"sconv {' '.join(map(str, args))} died with signal "
                             f"{-p.returncode}:\n{p.stderr}")
    return p.returncode, p.stdout, p.stderr


def ok(*args, cwd, env=None):
    code, out, err = sconv(*args, cwd=cwd, env=env)
    assert code == 0, f"sconv {' '.join(map(str, args))} exited {code}:\n{err}"
    return out, err


def fails(expect_code, *args, cwd, mentions=(), env=None):
    """Run, expect `expect_code`, a one-line reason on stderr naming each of `mentions`."""
    code, out, err = sconv(*args, cwd=cwd, env=env)
    cmdline = "sconv " + " ".join(map(str, args))
    assert code == expect_code, f"{cmdline}: exit {code}, expected {expect_code}:\n{err}"
    assert err.startswith("sconv"), f"{cmdline}: stderr does not start with 'sconv':\n{err}"
    first = err.splitlines()[0]
    for m in mentions:
        assert m in first, f"{cmdline}: the message does not name '{m}':\n{first}"
    if expect_code == 1:
        assert "Usage: sconv" in err, f"{cmdline}: a usage error without the usage:\n{err}"
    return err


def rng(seed=0):
    return np.random.default_rng(seed)


def save(d, name, a):
    path = os.path.join(d, name)
    np.save(path, np.asarray(a, dtype=np.float32))
    return name


def run_tests(tests, prefix):
    """Runs each test in a fresh scratch directory, one line each; returns the exit code."""
    passed = failed = 0
    for fn in tests:
        with tempfile.TemporaryDirectory(prefix=f"{prefix}-{fn.__name__}-") as d:
            try:
                fn(d)
                passed += 1
                print(f"ok    {fn.__name__}")
            except Exception as e:  # noqa: BLE001 - every failure is reported, none hidden
                failed += 1
                print(f"FAIL  {fn.__name__}: {e}")
                if not isinstance(e, AssertionError):
                    traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


# ---------------------------------------------------------------- general behaviour

@test
def version_and_help(d):
    out, _ = ok("--version", cwd=d)
    assert out.startswith("sconv ") and out.split()[1].count(".") == 2, out
    out, _ = ok("--help", cwd=d)
    for word in ("convert", "EXIT STATUS"):
        assert word in out, f"top-level help lacks {word}"
    for cmd in COMMANDS:
        out, _ = ok(cmd, "--help", cwd=d)
        for section in ("NAME", "SYNOPSIS", "OPTIONS", "EXIT STATUS", "EXAMPLE"):
            assert section in out, f"sconv {cmd} --help lacks {section}"
        out2, _ = ok(cmd, "-h", cwd=d)
        assert out2 == out


@test
def usage_errors(d):
    code, _, err = sconv(cwd=d)
    assert code == 1 and "missing command" in err
    code, _, err = sconv("frobnicate", cwd=d)
    assert code == 1 and "unknown command 'frobnicate'" in err
    for cmd in COMMANDS:
        fails(1, cmd, "--no-such-flag", cwd=d, mentions=("--no-such-flag",))
    save(d, "w.npy", np.ones((2, 3, 1, 1)))
    fails(1, "convert", "-i", "w.npy", "--from", cwd=d, mentions=("--from", "needs a value"))
    fails(1, "convert", "-i", "w.npy", "--from", "oihw", "--to", "xyz", "-o", "o.npy", cwd=d,
          mentions=("--to", "xyz"))
    fails(1, "convert", "-i", "w.npy", "--from", "oihw", "--from", "hwio", "--to", "hwio",
          "-o", "o.npy", cwd=d, mentions=("--from", "more than once"))
    fails(1, "convert", "-i", "w.npy", "--to", "hwio", "-o", "o.npy", cwd=d,
          mentions=("--from",))
    assert not os.path.exists(os.path.join(d, "o.npy"))


# ---------------------------------------------------------------- convert

PERMS = {  # numpy.transpose axes taking the first layout to the second (docs/layouts)
    ("oihw", "hwio"): (2, 3, 1, 0), ("hwio", "oihw"): (3, 2, 0, 1),
    ("oihw", "ohwi"): (0, 2, 3, 1), ("ohwi", "oihw"): (0, 3, 1, 2),
    ("ohwi", "hwio"): (1, 2, 3, 0), ("hwio", "ohwi"): (3, 0, 1, 2),
    ("oihw", "oihw"): (0, 1, 2, 3),
}


@test
def convert_permutation_identities(d):
    w = rng(1).standard_normal((5, 3, 2, 4)).astype(np.float32)  # distinct extents
    save(d, "w.npy", w)
    for (src, dst), perm in PERMS.items():
        a = w if src == "oihw" else np.transpose(w, PERMS[("oihw", src)])
        save(d, f"in_{src}.npy", a)
        ok("convert", "-i", f"in_{src}.npy", "--from", src, "--to", dst, "-o", "out.npy", cwd=d)
        b = np.load(os.path.join(d, "out.npy"))
        assert b.dtype == np.float32 and b.shape == np.transpose(a, perm).shape, (src, dst, b.shape)
        assert np.array_equal(b, np.transpose(a, perm)), f"{src} -> {dst} is not transpose{perm}"
    # the long option names, and float64 input converted exactly to float32
    np.save(os.path.join(d, "w64.npy"), w.astype(np.float64))
    ok("convert", "--input", "w64.npy", "--from=oihw", "--to=hwio", "--output", "o64.npy", cwd=d)
    assert np.array_equal(np.load(os.path.join(d, "o64.npy")), np.transpose(w, (2, 3, 1, 0)))


@test
def convert_errors(d):
    save(d, "w3.npy", np.ones((3, 3, 4)))
    err = fails(2, "convert", "-i", "w3.npy", "--from", "oihw", "--to", "hwio", "-o", "o.npy",
                cwd=d, mentions=("w3.npy", "4-D"))
    assert "(3, 3, 4)" in err, err
    fails(3, "convert", "-i", "missing.npy", "--from", "oihw", "--to", "hwio", "-o", "o.npy",
          cwd=d, mentions=("missing.npy",))
    with open(os.path.join(d, "junk.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00garbage")
    fails(2, "convert", "-i", "junk.npy", "--from", "oihw", "--to", "hwio", "-o", "o.npy",
          cwd=d, mentions=("junk.npy",))
    # an absurd header (2^60 elements) over a few bytes: refused before any allocation
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576, 1048576, 1), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(os.path.join(d, "huge.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
        f.write(b"\0" * 64)
    fails(2, "convert", "-i", "huge.npy", "--from", "oihw", "--to", "hwio", "-o", "o.npy",
          cwd=d, mentions=("huge.npy",))
    save(d, "w.npy", np.ones((2, 2, 1, 1)))
    fails(3, "convert", "-i", "w.npy", "--from", "oihw", "--to", "hwio", "-o",
          "no/such/dir/o.npy", cwd=d, mentions=("no/such/dir/o.npy",))
    assert not os.path.exists(os.path.join(d, "o.npy")), "a failed run left an output"


@test
def convert_never_overwrites_input(d):
    w = rng(2).standard_normal((4, 2, 3, 3)).astype(np.float32)
    save(d, "w.npy", w)
    before = open(os.path.join(d, "w.npy"), "rb").read()
    fails(1, "convert", "-i", "w.npy", "--from", "oihw", "--to", "hwio", "-o", "w.npy", cwd=d,
          mentions=("w.npy", "same file"))
    os.link(os.path.join(d, "w.npy"), os.path.join(d, "hard.npy"))  # another name, same inode
    fails(1, "convert", "-i", "w.npy", "--from", "oihw", "--to", "hwio", "-o", "hard.npy",
          cwd=d, mentions=("hard.npy", "same file"))
    os.symlink("w.npy", os.path.join(d, "link.npy"))
    fails(1, "convert", "-i", "link.npy", "--from", "oihw", "--to", "hwio", "-o", "./w.npy",
          cwd=d, mentions=("same file",))
    assert open(os.path.join(d, "w.npy"), "rb").read() == before, "the input changed"


@test
def convert_replaces_output_whole(d):
    w = rng(3).standard_normal((4, 2, 3, 3)).astype(np.float32)
    save(d, "w.npy", w)
    with open(os.path.join(d, "out.npy"), "wb") as f:
        f.write(b"old contents that are much longer than nothing" * 100)
    ok("convert", "-i", "w.npy", "--from", "oihw", "--to", "ohwi", "-o", "out.npy", cwd=d)
    assert np.array_equal(np.load(os.path.join(d, "out.npy")), np.transpose(w, (0, 2, 3, 1)))
    # a failure (bad input) leaves the previous output as it was, and no temporary files
    before = open(os.path.join(d, "out.npy"), "rb").read()
    save(d, "bad.npy", np.ones((2, 2)))
    fails(2, "convert", "-i", "bad.npy", "--from", "oihw", "--to", "ohwi", "-o", "out.npy", cwd=d)
    assert open(os.path.join(d, "out.npy"), "rb").read() == before
    leftovers = [f for f in os.listdir(d) if "tmp" in f]
    assert not leftovers, f"temporary files left: {leftovers}"



# ---------------------------------------------------------------- helpers for layers

AXES = {"oihw": (0, 1, 2, 3), "hwio": (2, 3, 1, 0), "ohwi": (0, 2, 3, 1)}  # from OIHW


def to_layout(w_oihw, layout):
    return np.ascontiguousarray(np.transpose(w_oihw, AXES[layout]))


def to_oihw(w, layout):
    return np.ascontiguousarray(np.transpose(w, np.argsort(AXES[layout])))


def weights(seed, shape_oihw):
    """Distinct magnitudes (no ties), no zeros: any pruning result is unambiguous."""
    n = int(np.prod(shape_oihw))
    mags = (np.arange(1, n + 1, dtype=np.float64) / n)[rng(seed).permutation(n)]
    signs = np.where(rng(seed + 1).random(n) < 0.5, -1.0, 1.0)
    return (mags * signs).reshape(shape_oihw).astype(np.float32)


def conv_ref(x, w, b=None, stride=(1, 1), pad=(0, 0, 0, 0), dil=(1, 1), groups=1):
    """NCHW x, OIHW w: cross-correlation in float64 with NumPy (an independent oracle)."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    n, c, h, wd = x.shape
    o, i, kh, kw = w.shape
    t, l, bo, r = pad
    xp = np.pad(x, ((0, 0), (0, 0), (t, bo), (l, r)))
    oh = (h + t + bo - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + l + r - dil[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, oh, ow))
    og = o // groups
    for g in range(groups):
        for a in range(kh):
            for bb in range(kw):
                patch = xp[:, g * i:(g + 1) * i,
                           a * dil[0]: a * dil[0] + stride[0] * (oh - 1) + 1: stride[0],
                           bb * dil[1]: bb * dil[1] + stride[1] * (ow - 1) + 1: stride[1]]
                y[:, g * og:(g + 1) * og] += np.einsum("oi,nihw->nohw",
                                                       w[g * og:(g + 1) * og, :, a, bb], patch)
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None, None]
    return y


def rel_err(y, ref):
    return float(np.max(np.abs(y - ref)) / max(np.max(np.abs(ref)), 1e-30))


def load(d, name):
    return np.load(os.path.join(d, name))


def oracle(d, layout, method, kind, value, conv, order, groups, *paths):
    """The library's pruning of each file (weights times mask), via prune_oracle."""
    if not ORACLE:
        raise AssertionError("prune_oracle not given on the command line")
    p = subprocess.run([ORACLE, layout, method, kind, str(value), conv, order, str(groups), d] +
                       [os.path.join(d, f) for f in paths], capture_output=True, text=True)
    assert p.returncode == 0, f"prune_oracle failed: {p.stderr}"
    return [np.fromfile(os.path.join(d, f"pruned_{i}.f32"), dtype="<f4").reshape(
        np.load(os.path.join(d, f)).shape) for i, f in enumerate(paths)]


def info_json(d, path, *extra):
    import json
    out, _ = ok("info", path, "--json", *extra, cwd=d)
    return json.loads(out)


# ---------------------------------------------------------------- prune + unpack

CASES = [  # (method, amount kind, value, convention, extra prune flags)
    ("l1", "sparsity", "0.7", "torch", []),
    ("l1", "sparsity", "0.55", "tfmot", []),
    ("l1", "count", "17", "torch", []),
    ("per-filter", "sparsity", "0.5", "torch", []),
    ("block:2x3:l2", "count", "4", "torch", []),
    ("block:2x1:mean", "sparsity", "0.5", "torch", []),
    ("nm:2:4", "none", "0", "torch", []),
    ("filter:l1", "sparsity", "0.25", "torch", []),
    ("filter:l2", "count", "2", "torch", []),
    ("threshold", "threshold", "0.5", "torch", []),
]


def prune_args(method, kind, value, convention):
    args = []
    if kind == "threshold":
        return ["--threshold", value]
    if method != "l1":
        args += ["--method", method]
    if kind != "none":
        args += ["--" + kind, value]
    if convention != "torch":
        args += ["--convention", convention]
    return args


@test
def prune_then_unpack_equals_library(d):
    w_oihw = weights(10, (8, 6, 3, 3))
    for layout in ("oihw", "hwio", "ohwi"):
        w = to_layout(w_oihw, layout)
        save(d, f"w_{layout}.npy", w)
        for pack in ("nchw", "nhwc"):
            order = "chw" if pack == "nchw" else "hwc"
            for method, kind, value, conv, extra in CASES:
                if pack == "nhwc" and layout == "hwio" and method in ("l1", "threshold"):
                    continue  # order-independent methods: covered by the other layouts
                tag = f"{layout}/{pack}/{method}/{kind}={value}/{conv}"
                ok("prune", "-w", f"w_{layout}.npy", "--layout", layout, "--pack", pack,
                   *prune_args(method, kind, value, conv), "-o", "p.sconv", "-q", cwd=d)
                want = oracle(d, layout, method, kind, value, conv, order, 1,
                              f"w_{layout}.npy")[0]
                for out_layout in ("oihw", "hwio", "ohwi"):
                    ok("unpack", "-m", "p.sconv", "--layout", out_layout, "-o", "u.npy", cwd=d)
                    got = load(d, "u.npy")
                    exp = to_layout(to_oihw(want, layout), out_layout)
                    assert got.shape == exp.shape, f"{tag} -> {out_layout}: shape {got.shape}"
                    assert np.array_equal(got, exp), \
                        f"{tag} -> {out_layout}: {int(np.sum(got != exp))} weights differ"
                assert np.count_nonzero(want) < want.size or method == "threshold", tag


@test
def prune_global_ranks_layers_together(d):
    a, b = weights(20, (6, 4, 3, 3)), weights(30, (5, 6, 1, 1)) * 0.6
    save(d, "conv_a.npy", a)
    save(d, "conv_b.npy", b)
    out, _ = ok("prune", "-w", "conv_a.npy", "-w", "conv_b.npy", "--layout", "oihw",
                "--method", "global", "--sparsity", "0.6", "-o", "g.sconv", cwd=d)
    assert "conv_a" in out and "conv_b" in out, out
    wants = oracle(d, "oihw", "global", "sparsity", 0.6, "torch", "chw", 1, "conv_a.npy",
                   "conv_b.npy")
    kept = 0
    for i, name in enumerate(("conv_a", "conv_b")):
        ok("unpack", "-m", "g.sconv", "--name", name, "--layout", "oihw", "-o", "u.npy", cwd=d)
        got, want = load(d, "u.npy"), wants[i]
        assert np.array_equal(got, want), f"global: layer {name} differs from the library"
        kept += np.count_nonzero(got)
    # independently: one threshold across both layers, round_half_even(0.6 * n) removed
    n = a.size + b.size
    assert kept == n - int(np.round(0.6 * n)), (kept, n)
    allw = np.abs(np.concatenate([a.ravel(), b.ravel()]))
    cut = np.sort(allw)[n - kept]
    for i, w in enumerate((a, b)):
        ok("unpack", "-m", "g.sconv", "--name", ["conv_a", "conv_b"][i], "--layout", "oihw",
           "-o", "u.npy", cwd=d)
        got = load(d, "u.npy")
        assert np.array_equal(got != 0, np.abs(w) >= cut), "global keeps |w| >= one threshold"
    # the two layers got different sparsities: ranked together, not one by one
    j = info_json(d, "g.sconv")
    s = [l["sparsity"] for l in j["layers"]]
    assert abs(s[0] - s[1]) > 0.01, s


@test
def prune_mask_semantics(d):
    """The meaning of each method, checked on the unpacked result without the library."""
    w = weights(40, (8, 8, 3, 3))
    save(d, "w.npy", w)
    mags = np.abs(w)

    def pruned(*flags):
        ok("prune", "-w", "w.npy", "--layout", "oihw", *flags, "-o", "p.sconv", "-q", cwd=d)
        ok("unpack", "-m", "p.sconv", "--layout", "oihw", "-o", "u.npy", cwd=d)
        u = load(d, "u.npy")
        kept = u != 0
        assert np.array_equal(u[kept], w[kept]), "kept weights must keep their values"
        return kept

    kept = pruned("--count", "100")  # l1: exactly 100 removed, the 100 smallest |w|
    assert kept.size - kept.sum() == 100
    assert mags[kept].min() > mags[~kept].max()
    kept = pruned("--sparsity", "0.5", "--method", "per-filter")
    assert all(kept[o].sum() == 36 for o in range(8)), "per-filter: equal count per row"
    for o in range(8):
        assert mags[o][kept[o]].min() > mags[o][~kept[o]].max()
    kept = pruned("--method", "nm:2:4")
    rows = kept.reshape(8, -1)  # k in (c, kh, kw) order = the nchw pack order
    assert np.all(rows.reshape(8, -1, 4).sum(axis=2) == 2), "nm:2:4: 2 of every 4 along k"
    kept = pruned("--method", "filter:l2", "--count", "3")
    norms = np.sqrt((w.astype(np.float64) ** 2).reshape(8, -1).sum(axis=1))
    gone = [o for o in range(8) if not kept[o].any()]
    assert sorted(gone) == sorted(np.argsort(norms)[:3].tolist()), (gone, norms)
    kept = pruned("--threshold", "0.25")
    assert np.array_equal(kept, mags >= 0.25)


@test
def prune_given_mask_and_bias(d):
    w = weights(50, (4, 3, 3, 3))
    m = (rng(51).random(w.shape) < 0.3).astype(np.float32)
    bias = rng(52).standard_normal(4).astype(np.float32)
    save(d, "w.npy", w)
    save(d, "m.npy", m)
    save(d, "b.npy", bias)
    out, _ = ok("prune", "-w", "w.npy", "--layout", "oihw", "--mask", "m.npy", "--bias", "b.npy",
                "--stride", "2x1", "--pad", "1,2,0,1", "--dilation", "2", "--name", "c1",
                "-o", "p.sconv", cwd=d)
    assert "layer 'c1'" in out, out
    ok("unpack", "-m", "p.sconv", "--layout", "oihw", "-o", "u.npy", "--bias-output", "ub.npy",
       cwd=d)
    assert np.array_equal(load(d, "u.npy"), w * m), "--mask packs the given mask as it is"
    assert np.array_equal(load(d, "ub.npy"), bias)
    layer = info_json(d, "p.sconv")["layers"][0]
    assert layer["name"] == "c1" and layer["method"] == "mask", layer
    assert layer["params"] == {"stride": [2, 1], "pad": [1, 2, 0, 1], "dilation": [2, 2],
                               "groups": 1}, layer["params"]
    assert layer["nnz"] == int(m.sum()) and layer["bias"] == [float(v) for v in bias]
    # a mask that is not 0/1, or of another shape
    save(d, "m2.npy", m * 2)
    fails(2, "prune", "-w", "w.npy", "--layout", "oihw", "--mask", "m2.npy", "-o", "x.sconv",
          cwd=d, mentions=("m2.npy", "0", "1"))
    save(d, "m3.npy", np.ones((4, 3, 3, 2)))
    fails(2, "prune", "-w", "w.npy", "--layout", "oihw", "--mask", "m3.npy", "-o", "x.sconv",
          cwd=d, mentions=("m3.npy", "dimension 3", "KW"))
    save(d, "b5.npy", np.ones(5))
    fails(2, "prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.5", "--bias", "b5.npy",
          "-o", "x.sconv", cwd=d, mentions=("b5.npy", "4", "(5,)"))
    assert not os.path.exists(os.path.join(d, "x.sconv"))


@test
def prune_names_pack_and_params(d):
    os.mkdir(os.path.join(d, "a"))
    os.mkdir(os.path.join(d, "b"))
    w1, w2 = weights(60, (4, 2, 3, 3)), weights(61, (4, 4, 1, 1))
    save(d, "a/conv.npy", to_layout(w1, "hwio"))
    save(d, "b/conv.npy", to_layout(w2, "hwio"))
    fails(1, "prune", "-w", "a/conv.npy", "-w", "b/conv.npy", "--layout", "hwio",
          "--sparsity", "0.5", "-o", "x.sconv", cwd=d, mentions=("conv", "--name"))
    ok("prune", "-w", "a/conv.npy", "-w", "b/conv.npy", "--layout", "hwio", "--sparsity", "0.5",
       "--name", "first", "--name", "second", "-o", "two.sconv", cwd=d)
    j = info_json(d, "two.sconv")
    assert [l["name"] for l in j["layers"]] == ["first", "second"]
    assert all(l["pack_order"] == "hwc" for l in j["layers"]), "hwio packs for nhwc by default"
    assert all(l["source_layout"] == "hwio" for l in j["layers"])
    save(d, "t.npy", w1)
    ok("prune", "-w", "t.npy", "--layout", "oihw", "--sparsity", "0.5", "-o", "t.sconv", cwd=d)
    layer = info_json(d, "t.sconv")["layers"][0]
    assert layer["name"] == "t" and layer["pack_order"] == "chw", "oihw packs for nchw"
    ok("prune", "-w", "t.npy", "--layout", "oihw", "--sparsity", "0.5", "--pack", "nhwc",
       "-o", "t.sconv", cwd=d)
    assert info_json(d, "t.sconv")["layers"][0]["pack_order"] == "hwc"
    # groups: I is per group; 2 groups of a 4-output layer
    ok("prune", "-w", "t.npy", "--layout", "oihw", "--sparsity", "0.5", "--groups", "2",
       "--stride", "2", "--pad", "1", "-o", "g.sconv", cwd=d)
    layer = info_json(d, "g.sconv")["layers"][0]
    assert layer["params"]["groups"] == 2 and layer["params"]["stride"] == [2, 2]
    assert layer["params"]["pad"] == [1, 1, 1, 1]
    assert layer["method"] == "l1" and "amount=0.5" in layer["method_params"], layer


@test
def prune_errors(d):
    w = weights(70, (4, 2, 3, 3))
    save(d, "w.npy", w)
    base = ["prune", "-w", "w.npy", "--layout", "oihw"]
    fails(1, *base, "-o", "x.sconv", cwd=d, mentions=("--sparsity",))
    fails(1, *base, "--sparsity", "0.5", "--count", "3", "-o", "x.sconv", cwd=d,
          mentions=("mutually exclusive",))
    fails(1, *base, "--sparsity", "1.5", "-o", "x.sconv", cwd=d, mentions=("--sparsity", "1.5"))
    fails(1, *base, "--sparsity", "half", "-o", "x.sconv", cwd=d, mentions=("--sparsity", "half"))
    fails(1, *base, "--sparsity", "0.5", cwd=d, mentions=("-o",))
    fails(1, *base, "--sparsity", "0.5", "--method", "magic", "-o", "x.sconv", cwd=d,
          mentions=("--method", "magic"))
    fails(1, *base, "--sparsity", "0.5", "--pad", "1,2,3", "-o", "x.sconv", cwd=d,
          mentions=("--pad", "1,2,3"))
    fails(1, *base, "--sparsity", "0.5", "--stride", "0", "-o", "x.sconv", cwd=d,
          mentions=("--stride",))
    fails(1, *base, "--sparsity", "0.5", "-o", "w.npy", cwd=d, mentions=("w.npy", "same file"))
    fails(1, "prune", "--layout", "oihw", "--sparsity", "0.5", "-o", "x.sconv", cwd=d,
          mentions=("-w",))
    fails(3, "prune", "-w", "nope.npy", "--layout", "oihw", "--sparsity", "0.5", "-o", "x.sconv",
          cwd=d, mentions=("nope.npy",))
    save(d, "w3.npy", np.ones((4, 2, 3)))
    fails(2, "prune", "-w", "w3.npy", "--layout", "oihw", "--sparsity", "0.5", "-o", "x.sconv",
          cwd=d, mentions=("w3.npy", "4-D"))
    fails(2, *base, "--sparsity", "0.5", "--groups", "3", "-o", "x.sconv", cwd=d,
          mentions=("w.npy", "groups"))
    bad = w.copy()
    bad[1, 1, 1, 1] = np.nan
    save(d, "nan.npy", bad)
    fails(2, "prune", "-w", "nan.npy", "--layout", "oihw", "--sparsity", "0.5", "-o", "x.sconv",
          cwd=d, mentions=("nan.npy",))
    assert not os.path.exists(os.path.join(d, "x.sconv")), "a failed prune left an output"


# ---------------------------------------------------------------- info

@test
def info_reports_the_packed_layer(d):
    w = weights(80, (12, 5, 3, 3))
    b = rng(81).standard_normal(12).astype(np.float32)
    save(d, "w.npy", w)
    save(d, "b.npy", b)
    ok("prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.8", "--bias", "b.npy",
       "--pad", "1", "-o", "p.sconv", cwd=d)
    ok("unpack", "-m", "p.sconv", "--layout", "oihw", "-o", "u.npy", cwd=d)
    u = load(d, "u.npy")
    per_row = np.count_nonzero(u.reshape(12, -1), axis=1)
    j = info_json(d, "p.sconv", "--input-hw", "20x24")
    assert j["file"] == "p.sconv" and j["file_bytes"] == os.path.getsize(os.path.join(d, "p.sconv"))
    L = j["layers"][0]
    assert L["dims"] == {"oc": 12, "icg": 5, "kh": 3, "kw": 3}
    assert L["nnz"] == np.count_nonzero(u) and L["numel"] == u.size
    assert abs(L["sparsity"] - (1 - np.count_nonzero(u) / u.size)) < 1e-12
    r = L["nnz_per_row"]
    assert r["min"] == per_row.min() and r["max"] == per_row.max()
    assert abs(r["mean"] - per_row.mean()) < 1e-12
    assert r["empty_rows"] == int(np.sum(per_row == 0))
    bins = np.minimum(per_row * 10 // 45, 9)  # density bins of 0.1 over 45 = 5*3*3 columns
    assert [h["rows"] for h in L["density_histogram"]] == \
        [int(np.sum(bins == b)) for b in range(10)], L["density_histogram"]
    l1 = np.abs(u).sum() / np.abs(w).sum()
    assert abs(L["l1_kept"] - l1) < 1e-6, (L["l1_kept"], l1)
    by = L["bytes"]
    assert by["dense"] == 4 * u.size + 4 * 12 and 0 < by["packed"] < by["dense"], by
    assert by["index_bytes"] == 2 and 0 < by["file"] < os.path.getsize(os.path.join(d, "p.sconv"))
    eng = L["auto_engine"]
    assert eng["input_hw"] == [20, 24]
    for lay in ("nchw", "nhwc"):
        assert eng["choice"][lay]["engine"] in ("sparse", "dense") and eng["choice"][lay]["reason"]
        thr = eng["choice"][lay]["threshold"]
        assert 0 <= thr < 1
        # the default auto is the rule: the layer's sparsity against the break-even
        assert eng["choice"][lay]["engine"] == ("sparse" if L["sparsity"] >= thr else "dense")
    out, _ = ok("info", "p.sconv", cwd=d)
    for word in ("layer 'w'", "O 12, I 5", "pad 1,1,1,1", "pack order   chw", "l1",
                 f"{np.count_nonzero(u)} of {u.size}", f"min {per_row.min()}",
                 f"max {per_row.max()}", "bias         yes", "packed", "row density",
                 "auto (nchw", "auto (nhwc"):
        assert word in out, f"info text lacks '{word}':\n{out}"
    fails(1, "info", cwd=d, mentions=("missing",))
    fails(3, "info", "none.sconv", cwd=d, mentions=("none.sconv",))
    with open(os.path.join(d, "bad.sconv"), "wb") as f:
        f.write(open(os.path.join(d, "p.sconv"), "rb").read()[:-7])
    fails(2, "info", "bad.sconv", cwd=d, mentions=("bad.sconv",))


# ---------------------------------------------------------------- run

def expect_runs(d, model, engines, x, ref, pack):
    """`run --check` of x.npy (NCHW) and of xh.npy (NHWC, 2 threads, batch 2, 6 output
    channels) on each engine gives ref; so do --out-layout with --act relu (ReLU of ref) and
    the 3-D input x[1] (ref[1]). Returns the --verbose run's stderr."""
    for engine in engines:
        _, err = ok("run", "-m", model, "-i", "x.npy", "--in-layout", "nchw", "--check",
                    "--engine", engine, "-o", "y.npy", cwd=d)
        assert "check: max abs error" in err and ": ok" in err, err
        y = load(d, "y.npy")
        assert y.shape == ref.shape and rel_err(y, ref) < 1e-5, (pack, engine, rel_err(y, ref))
        _, err = ok("run", "-m", model, "-i", "xh.npy", "--in-layout", "nhwc", "--check",
                    "--engine", engine, "--threads", "2", "-o", "yh.npy", cwd=d)
        assert ": ok" in err, err
        yh = load(d, "yh.npy")
        assert yh.shape == (2, ref.shape[2], ref.shape[3], 6), yh.shape
        assert rel_err(np.transpose(yh, (0, 3, 1, 2)), ref) < 1e-5, (pack, engine)
    _, err = ok("run", "-m", model, "-i", "xh.npy", "--in-layout", "nhwc", "--out-layout", "nchw",
                "--act", "relu", "--verbose", "--check", "-o", "yn.npy", cwd=d)
    assert rel_err(load(d, "yn.npy"), np.maximum(ref, 0)) < 1e-5
    save(d, "x3.npy", x[1])  # batch 1 -> a 3-D output
    ok("run", "-m", model, "-i", "x3.npy", "--in-layout", "nchw", "-o", "y3.npy", cwd=d)
    y3 = load(d, "y3.npy")
    assert y3.shape == ref.shape[1:] and rel_err(y3, ref[1]) < 1e-5
    return err


@test
def run_check_nchw_and_nhwc(d):
    w = weights(90, (6, 4, 3, 3))
    b = rng(91).standard_normal(6).astype(np.float32)
    x = rng(92).standard_normal((2, 4, 9, 11)).astype(np.float32)
    save(d, "w.npy", w)
    save(d, "b.npy", b)
    save(d, "x.npy", x)
    save(d, "xh.npy", np.transpose(x, (0, 2, 3, 1)))
    for pack in ("nchw", "nhwc"):
        ok("prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.6", "--bias", "b.npy",
           "--stride", "2x1", "--pad", "1,0,2,1", "--dilation", "1x2", "--pack", pack,
           "-o", "p.sconv", "-q", cwd=d)
        ok("unpack", "-m", "p.sconv", "--layout", "oihw", "-o", "u.npy", cwd=d)
        ref = conv_ref(x, load(d, "u.npy"), b, (2, 1), (1, 0, 2, 1), (1, 2))
        err = expect_runs(d, "p.sconv", ("auto", "sparse", "dense"), x, ref, pack)
        assert "engine" in err and "kernel" in err, err


@test
def run_groups_and_hwio(d):
    w = weights(100, (8, 3, 3, 3))  # 2 groups: 6 input channels
    x = rng(101).standard_normal((1, 7, 8, 7)).astype(np.float32)  # NHWC, one channel too many
    save(d, "w.npy", to_layout(w, "hwio"))
    save(d, "x.npy", x)
    ok("prune", "-w", "w.npy", "--layout", "hwio", "--sparsity", "0.5", "--groups", "2",
       "--pad", "1", "-o", "p.sconv", "-q", cwd=d)
    fails(2, "run", "-m", "p.sconv", "-i", "x.npy", "--in-layout", "nhwc", "-o", "y.npy", cwd=d,
          mentions=("x.npy", "channels", "7", "6"))
    x = np.ascontiguousarray(x[..., :6])
    save(d, "x.npy", x)
    ok("run", "-m", "p.sconv", "-i", "x.npy", "--in-layout", "nhwc", "--check", "-o", "y.npy", cwd=d)
    ok("unpack", "-m", "p.sconv", "--layout", "oihw", "-o", "u.npy", cwd=d)
    ref = conv_ref(np.transpose(x, (0, 3, 1, 2)), load(d, "u.npy"), pad=(1, 1, 1, 1), groups=2)
    assert rel_err(np.transpose(load(d, "y.npy"), (0, 3, 1, 2)), ref) < 1e-5


@test
def run_errors(d):
    w = weights(110, (4, 2, 3, 3))
    save(d, "w.npy", w)
    save(d, "w2.npy", w * 2)
    ok("prune", "-w", "w.npy", "-w", "w2.npy", "--layout", "oihw", "--sparsity", "0.5",
       "-o", "two.sconv", "-q", cwd=d)
    ok("prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.5", "-o", "one.sconv", "-q",
       cwd=d)
    save(d, "x.npy", rng(111).standard_normal((1, 2, 5, 5)))
    fails(1, "run", "-m", "two.sconv", "-i", "x.npy", "--in-layout", "nchw", "-o", "y.npy", cwd=d,
          mentions=("two.sconv", "--name"))
    fails(2, "run", "-m", "two.sconv", "--name", "w3", "-i", "x.npy", "--in-layout", "nchw",
          "-o", "y.npy", cwd=d, mentions=("two.sconv", "w3"))
    ok("run", "-m", "two.sconv", "--name", "w2", "-i", "x.npy", "--in-layout", "nchw", "-o",
       "y.npy", cwd=d)
    os.remove(os.path.join(d, "y.npy"))
    fails(1, "run", "-m", "one.sconv", "-i", "x.npy", "-o", "y.npy", cwd=d,
          mentions=("--in-layout",))
    fails(1, "run", "-m", "one.sconv", "-i", "x.npy", "--in-layout", "nchw", "--engine", "fast",
          "-o", "y.npy", cwd=d, mentions=("--engine", "fast"))
    fails(1, "run", "-m", "one.sconv", "-i", "x.npy", "--in-layout", "nchw", "-o", "x.npy",
          cwd=d, mentions=("x.npy", "same file"))
    fails(1, "run", "-m", "one.sconv", "-i", "x.npy", "--in-layout", "nchw", "-o", "one.sconv",
          cwd=d, mentions=("one.sconv", "same file"))
    save(d, "xc.npy", np.ones((1, 3, 5, 5)))
    fails(2, "run", "-m", "one.sconv", "-i", "xc.npy", "--in-layout", "nchw", "-o", "y.npy",
          cwd=d, mentions=("xc.npy", "channels", "axis 1", "3", "2"))
    save(d, "xs.npy", np.ones((1, 2, 2, 5)))
    fails(2, "run", "-m", "one.sconv", "-i", "xs.npy", "--in-layout", "nchw", "-o", "y.npy",
          cwd=d, mentions=("xs.npy", "height"))
    save(d, "x2.npy", np.ones((2, 5)))
    fails(2, "run", "-m", "one.sconv", "-i", "x2.npy", "--in-layout", "nchw", "-o", "y.npy",
          cwd=d, mentions=("x2.npy", "4-D", "(2, 5)"))
    fails(3, "run", "-m", "nope.sconv", "-i", "x.npy", "--in-layout", "nchw", "-o", "y.npy",
          cwd=d, mentions=("nope.sconv",))
    # a non-finite input makes the check fail: exit 4, and no output is written
    xi = rng(112).standard_normal((1, 2, 5, 5)).astype(np.float32)
    xi[0, 1, 2, 2] = np.inf
    save(d, "xi.npy", xi)
    err = fails(4, "run", "-m", "one.sconv", "-i", "xi.npy", "--in-layout", "nchw", "--check",
                "-o", "y.npy", cwd=d, mentions=("check", "FAILED"))
    assert "one.sconv" in err and "relative error" in err, err
    assert not os.path.exists(os.path.join(d, "y.npy")), "a failed run left an output"


# ---------------------------------------------------------------- transposed layers

def conv_transpose_ref(x, w, stride=(1, 1), pad=(0, 0, 0, 0), dil=(1, 1), out_pad=(0, 0),
                       groups=1):
    """NCHW x, w (Cin, Cout/groups, KH, KW) as torch.nn.ConvTranspose2d stores it: the
    transposed convolution in float64 by scattering each input pixel (an independent oracle:
    y[n, g*cog + c, ih*s - pt + a*d, iw*s - pl + b*d] += w[ci, c, a, b] * x[n, ci, ih, iw])."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    n, cin, h, wd = x.shape
    _, cog, kh, kw = w.shape
    t, l, bo, r = pad
    full_h = (h - 1) * stride[0] + dil[0] * (kh - 1) + 1 + out_pad[0]
    full_w = (wd - 1) * stride[1] + dil[1] * (kw - 1) + 1 + out_pad[1]
    oh = (h - 1) * stride[0] - t - bo + dil[0] * (kh - 1) + out_pad[0] + 1
    ow = (wd - 1) * stride[1] - l - r + dil[1] * (kw - 1) + out_pad[1] + 1
    yf = np.zeros((n, cog * groups, full_h, full_w))
    cig = cin // groups
    for g in range(groups):
        for a in range(kh):
            for b in range(kw):
                contrib = np.einsum("ic,nihw->nchw", w[g * cig:(g + 1) * cig, :, a, b],
                                    x[:, g * cig:(g + 1) * cig])
                yf[:, g * cog:(g + 1) * cog,
                   a * dil[0]: a * dil[0] + stride[0] * (h - 1) + 1: stride[0],
                   b * dil[1]: b * dil[1] + stride[1] * (wd - 1) + 1: stride[1]] += contrib
    return yf[:, :, t:t + oh, l:l + ow]


@test
def run_transposed_nchw_and_nhwc(d):
    # ConvTranspose2d(6 -> 6, kernel 3x2, stride 2x3, padding (1,0,2,1), dilation 1x2,
    # output_padding 1x2, groups 2): weight (Cin 6, Cout/groups 3, 3, 2)
    w = weights(130, (6, 3, 3, 2))
    x = rng(131).standard_normal((2, 6, 5, 4)).astype(np.float32)
    save(d, "w.npy", w)
    save(d, "x.npy", x)
    save(d, "xh.npy", np.transpose(x, (0, 2, 3, 1)))
    conv = ("--stride", "2x3", "--pad", "1,0,2,1", "--dilation", "1x2", "--groups", "2")
    for pack in ("nchw", "nhwc"):
        out, _ = ok("prune", "-w", "w.npy", "--layout", "oihw", "--transposed",
                    "--output-padding", "1x2", "--sparsity", "0.6", *conv, "--pack", pack,
                    "--name", "up", "-o", "t.sconv", cwd=d)
        assert "transposed layer 'up'" in out, out
        ok("unpack", "-m", "t.sconv", "--layout", "oihw", "-o", "u.npy", cwd=d)
        u = load(d, "u.npy")
        assert u.shape == w.shape and np.all((u == w) | (u == 0)), "unpack: kept weights"
        assert int(np.sum(u == 0)) == round(0.6 * w.size), int(np.sum(u == 0))
        # the kept weights are the largest |w| (weights() has no ties)
        assert np.min(np.abs(u[u != 0])) > np.max(np.abs(w[u == 0]))
        ref = conv_transpose_ref(x, u, (2, 3), (1, 0, 2, 1), (1, 2), (1, 2), 2)
        # (in-1)*stride - pads + dil*(k-1) + out_pad + 1: 8-3+2+1+1 = 9, 9-1+2+2+1 = 13
        assert ref.shape == (2, 6, 9, 13), ref.shape
        err = expect_runs(d, "t.sconv", ("auto", "sparse"), x, ref, pack)
        assert "sparse engine" in err and "transposed" in err, err
        os.remove(os.path.join(d, "y3.npy"))
        # info: kind and output padding, text and JSON
        out, _ = ok("info", "t.sconv", "--input-hw", "5x4", cwd=d)
        assert "kind         conv_transpose" in out and "output padding 1x2" in out, out
        assert "auto (nchw, 1x6x5x4)  sparse engine" in out, out
        lay = info_json(d, "t.sconv")["layers"][0]
        assert lay["kind"] == "conv_transpose" and lay["output_padding"] == [1, 2], lay
    # the transposed operator is sparse only; the channels are Cin (the first weight axis)
    fails(1, "run", "-m", "t.sconv", "-i", "x.npy", "--in-layout", "nchw", "--engine", "dense",
          "-o", "y.npy", cwd=d, mentions=("--engine dense", "transposed", "sparse"))
    save(d, "xc.npy", np.ones((1, 3, 5, 4)))
    fails(2, "run", "-m", "t.sconv", "-i", "xc.npy", "--in-layout", "nchw", "-o", "y.npy",
          cwd=d, mentions=("xc.npy", "channels", "transposed", "3", "6"))
    # a conv layer still reports kind conv in JSON, and prints no kind line
    ok("prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.5", "-o", "c.sconv", "-q",
       cwd=d)
    assert info_json(d, "c.sconv")["layers"][0]["kind"] == "conv"
    assert info_json(d, "c.sconv")["layers"][0]["output_padding"] == [0, 0]
    # flag errors
    fails(1, "prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.5",
          "--output-padding", "1", "-o", "z.sconv", cwd=d, mentions=("--output-padding",
                                                                      "--transposed"))
    fails(1, "prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.5", "--transposed",
          "--stride", "2", "--output-padding", "2", "-o", "z.sconv", cwd=d,
          mentions=("--output-padding", "smaller than max(stride 2, dilation 1)"))
    save(d, "b.npy", np.ones(6))
    fails(1, "prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.5", "--transposed",
          "--bias", "b.npy", "-o", "z.sconv", cwd=d, mentions=("--bias", "--transposed"))
    assert not os.path.exists(os.path.join(d, "z.sconv"))


@test
def run_transposed_hwio_kernel(d):
    # a Keras Conv2DTranspose kernel (KH, KW, Cout, Cin) is --layout hwio with O = Cin
    k = to_layout(weights(140, (4, 5, 3, 3)), "hwio")  # Cin 4, Cout 5
    assert k.shape == (3, 3, 5, 4)
    x = rng(141).standard_normal((1, 6, 7, 4)).astype(np.float32)  # NHWC, Cin = 4
    save(d, "k.npy", k)
    save(d, "x.npy", x)
    ok("prune", "-w", "k.npy", "--layout", "hwio", "--transposed", "--stride", "2",
       "--sparsity", "0.5", "-o", "t.sconv", "-q", cwd=d)
    ok("run", "-m", "t.sconv", "-i", "x.npy", "--in-layout", "nhwc", "--check", "-o", "y.npy",
       cwd=d)
    ok("unpack", "-m", "t.sconv", "--layout", "hwio", "-o", "u.npy", cwd=d)
    u = load(d, "u.npy")
    assert u.shape == k.shape and np.all((u == k) | (u == 0))
    ref = conv_transpose_ref(np.transpose(x, (0, 3, 1, 2)), np.transpose(u, (3, 2, 0, 1)), (2, 2))
    y = load(d, "y.npy")
    assert y.shape == (1, 13, 15, 5), y.shape  # (in-1)*2 + 3: Keras padding="valid"
    assert rel_err(np.transpose(y, (0, 3, 1, 2)), ref) < 1e-5


# ---------------------------------------------------------------- sweep and demo

@test
def sweep_table_csv_plot(d):
    w = rng(120).standard_normal((8, 6, 3, 3)).astype(np.float32)
    x = rng(121).standard_normal((1, 6, 10, 10)).astype(np.float32)
    save(d, "w.npy", w)
    save(d, "x.npy", x)
    out, err = ok("sweep", "-w", "w.npy", "--layout", "oihw", "--pad", "1", "-i", "x.npy",
                  "--sparsity", "0,0.5,0.9", "--repeat", "3", "--csv", "s.csv", "--plot",
                  "s.png", cwd=d)
    assert "\r" not in err, "a progress bar was drawn on a stderr that is not a terminal"
    assert "sparsity" in out and "speedup" in out, out
    rows = [l.split(",") for l in open(os.path.join(d, "s.csv")).read().splitlines()]
    assert rows[0][:4] == ["sparsity", "achieved_sparsity", "nnz", "rel_error_l2"], rows[0]
    assert len(rows) == 4
    full = conv_ref(x, w, pad=(1, 1, 1, 1))
    for r, s in zip(rows[1:], (0, 0.5, 0.9)):
        pr = oracle(d, "oihw", "l1", "sparsity", s, "torch", "chw", 1, "w.npy")[0]
        y = conv_ref(x, pr, pad=(1, 1, 1, 1))
        err = np.linalg.norm(y - full) / np.linalg.norm(full)
        assert int(r[2]) == np.count_nonzero(pr), (r, np.count_nonzero(pr))
        assert abs(float(r[3]) - err) <= 1e-5 + 1e-4 * err, (s, r[3], err)
        assert float(r[5]) > 0 and float(r[6]) > 0 and r[8] in ("sparse", "dense")
    assert open(os.path.join(d, "s.png"), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    # seeded random input: the same seed gives the same errors
    out1, _ = ok("sweep", "-w", "w.npy", "--layout", "oihw", "--input-hw", "7x9", "--seed", "5",
                 "--sparsity", "0.5", "--repeat", "3", "--csv", "a.csv", cwd=d)
    ok("sweep", "-w", "w.npy", "--layout", "oihw", "--input-hw", "7x9", "--seed", "5",
       "--sparsity", "0.5", "--repeat", "3", "--csv", "b.csv", cwd=d)
    ea = open(os.path.join(d, "a.csv")).read().splitlines()[1].split(",")[3]
    eb = open(os.path.join(d, "b.csv")).read().splitlines()[1].split(",")[3]
    assert ea == eb, (ea, eb)
    fails(1, "sweep", "-w", "w.npy", "--layout", "oihw", "-i", "x.npy", "--seed", "3", cwd=d,
          mentions=("--seed",))
    fails(1, "sweep", "-w", "w.npy", "--layout", "oihw", "--csv", "w.npy", cwd=d,
          mentions=("same file",))
    fails(2, "sweep", "-w", "w.npy", "--layout", "oihw", "--input-hw", "2x2", cwd=d,
          mentions=("height",))


@test
def demo_small(d):
    out, err = ok("demo", "--hw", "10", "--sparsity", "0.5,0.9", "--repeat", "3", "--out",
                  "res/sub", cwd=d)
    assert "\r" not in err, "a progress bar was drawn on a stderr that is not a terminal"
    lines = [l for l in out.splitlines() if l.startswith("conv")]
    assert len(lines) == 8, out  # 2 layers x 2 sparsities x 2 layouts
    assert "all 8 checks passed" in out, out
    rows = [l.split(",") for l in open(os.path.join(d, "res/sub/demo.csv")).read().splitlines()]
    assert len(rows) == 9 and rows[0][4] == "check_rel_error", rows[0]
    for r in rows[1:]:
        assert float(r[4]) <= 1e-4 and r[1] in ("nchw", "nhwc"), r
        assert 0 < float(r[3]) < 1, r  # pruning changes the output, but not beyond recognition
    assert open(os.path.join(d, "res/sub/demo.png"), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    ok("demo", "--hw", "6", "--sparsity", "0.7", "--repeat", "3", "--no-plot", "--out", "np",
       cwd=d)
    assert not os.path.exists(os.path.join(d, "np/demo.png"))
    with open(os.path.join(d, "file"), "w") as f:
        f.write("x")
    fails(3, "demo", "--out", "file", "--hw", "6", cwd=d, mentions=("file",))


# ---------------------------------------------------------------- plots: gnuplot's input

REAL_GNUPLOT = shutil.which("gnuplot")


class Gnuplot:
    """A `gnuplot` first on PATH that copies what sconv hands it (its standard input, or the
    script and the files beside it) into a capture directory, then runs the real gnuplot;
    with fail=True it refuses instead. Lives in `tool`, outside the directory sconv writes."""

    def __init__(self, tool, fail=False):
        self.bindir = os.path.join(tool, "bin")
        self.capdir = os.path.join(tool, "capture")
        self.tmpdir = os.path.join(tool, "tmp")
        for p in (self.bindir, self.capdir, self.tmpdir):
            os.makedirs(p, exist_ok=True)
        body = 'exit 1\n' if fail else (
            f'if [ $# -eq 0 ]; then cat > "$cap/stdin.gp"; exec "{REAL_GNUPLOT}" "$cap/stdin.gp"; fi\n'
            f'cp ./* "$cap"/\nexec "{REAL_GNUPLOT}" "$@"\n')
        path = os.path.join(self.bindir, "gnuplot")
        with open(path, "w") as f:
            f.write(f'#!/bin/sh\ncap="{self.capdir}/$$"\nmkdir -p "$cap"\n{body}')
        os.chmod(path, 0o755)
        self.env = dict(os.environ, PATH=self.bindir + os.pathsep + os.environ.get("PATH", ""),
                        TMPDIR=self.tmpdir, PWNED_MARK=os.path.join(tool, "PWNED"))

    def runs(self):
        """Per gnuplot run: {file name: text} of what it was given; the capture is emptied."""
        out = []
        for run in sorted(os.listdir(self.capdir)):
            files = {}
            for name in os.listdir(os.path.join(self.capdir, run)):
                with open(os.path.join(self.capdir, run, name), "rb") as f:
                    files[name] = f.read().decode("utf-8", "replace")
            shutil.rmtree(os.path.join(self.capdir, run))
            out.append(files)
        return out


def gp_script(files):
    return files.get("plot.gp", files.get("stdin.gp", ""))


def gp_plots(files):
    """The plot commands (continuations joined) as lists of (label, plain_text) per curve
    read from data; the label is resolved from a data file's header or a quoted literal."""
    text = gp_script(files).replace("\\\n", "")
    plots = []
    for line in text.splitlines():
        if not line.startswith("plot "):
            continue
        curves = []
        for m in re.finditer(r"(?:'(?P<file>[\w.]+)'|\$(?P<block>\w+)) using 1:2 [^,]*?title "
                             r"(?:columnheader\(2\)|'(?P<lit>(?:[^']|'')*)')(?P<plain> noenhanced)?",
                             line):
            if m.group("lit") is not None:
                label = m.group("lit").replace("''", "'")
            else:
                label = files[m.group("file")].splitlines()[0].split("\t")[1]
            curves.append((label, m.group("plain") is not None))
        plots.append((line, curves))
    return plots


def gp_labels(files):
    """Every text gnuplot was given, script and data alike."""
    return "\n".join(files.values())


def listing(top):
    out = set()
    for root, dirs, names in os.walk(top):
        for n in dirs + names:
            out.add(os.path.relpath(os.path.join(root, n), top))
    return out


@test
def plot_labels_panels_and_break_even(d):
    gp = Gnuplot(os.path.join(d, "tool"))
    work = os.path.join(d, "work")
    os.mkdir(work)
    save(work, "torch_w.npy", rng(150).standard_normal((8, 6, 3, 3)))
    out, _ = ok("sweep", "-w", "torch_w.npy", "--layout", "oihw", "--pad", "1", "--input-hw",
                "8x8", "--sparsity", "0.5,0.9", "--repeat", "3", "--plot", "s.png", cwd=work,
                env=gp.env)
    (files,) = gp.runs()
    script = gp_script(files)
    speed, error = gp_plots(files)
    assert speed[1] and error[1], script
    for label, plain in speed[1] + error[1]:
        assert plain, f"'{label}' is drawn as enhanced text (torch_w.npy gets a subscript)"
    assert re.search(r"set multiplot .*title .*noenhanced", script), script
    for label, _ in error[1]:
        assert "error" in label and "sparse vs dense" not in label, f"error legend '{label}'"
    # the break-even line at 1 is strictly inside the speedup axis, not on its edge
    m = re.findall(r"set yrange \[([-\d.e+]+):([-\d.e+]+)\]", script[:script.index("\nplot ")])
    assert m, f"the speedup axis is autoscaled: 1 can land on its edge\n{script}"
    lo, hi = float(m[-1][0]), float(m[-1][1])
    assert lo < 1 - 0.02 * (hi - lo) and hi > 1, (lo, hi)
    assert "break-even" in speed[0]
    assert re.search(r"\b1 thread\b", gp_labels(files)), "the plot does not state the threads"
    assert "1 thread" in out.splitlines()[0], out
    # demo: one error curve per layer (the mask, hence the error, is the same in both layouts)
    ok("demo", "--hw", "6", "--sparsity", "0.5,0.9", "--repeat", "3", "--out", "o", cwd=work,
       env=gp.env)
    (files,) = gp.runs()
    speed, error = gp_plots(files)
    assert len(speed[1]) == 4 and len(error[1]) == 2, (speed[1], error[1])
    for label, _ in error[1]:
        assert "NCHW" not in label and "NHWC" not in label, label
    assert re.search(r"\b1 thread\b", gp_labels(files)), "the plot does not state the threads"


HOSTILE = ["p\n!touch PWNED\n", "q'\n!touch \"$PWNED_MARK\"\n'", "r`touch \"$PWNED_MARK\"`",
           "s$(touch \"$PWNED_MARK\")", "t\"; system('touch PWNED'); \"", "u @m \\ '' \x01 #"]


@test
def hostile_names_never_reach_a_shell(d):
    gp = Gnuplot(os.path.join(d, "tool"))
    work = os.path.join(d, "work")
    os.mkdir(work)
    w = rng(151).standard_normal((4, 3, 3, 3))
    long = ("v\n!touch PWNED\n$(touch \"$PWNED_MARK\")" + "x" * 255)[:251]
    for name in HOSTILE + [long]:
        save(work, name + ".npy", w)
        before = listing(work)
        code, out, err = sconv("sweep", "-w", name + ".npy", "--layout", "oihw", "--pad", "1",
                               "--input-hw", "6x6", "--sparsity", "0.5", "--repeat", "3",
                               "--csv", name + ".csv", "--plot", name + ".png", cwd=work,
                               env=gp.env)
        made = listing(work) - before
        if name == long and code == 3 and "too long" in err:
            assert made == set(), made  # the temporary name does not fit: nothing written
        else:
            assert code == 0, f"{name!r}: exit {code}\n{err}"
            assert made == {name + ".csv", name + ".png"}, (name, made)
        for runs in gp.runs():
            assert "PWNED" not in gp_script(runs), f"{name!r} reached gnuplot's commands"
        before = listing(work)
        code, out, err = sconv("demo", "--hw", "6", "--sparsity", "0.5", "--repeat", "3",
                               "--out", name, cwd=work, env=gp.env)
        assert code == 0, f"{name!r}: exit {code}\n{err}"
        made = listing(work) - before
        assert made == {name, os.path.join(name, "demo.csv"), os.path.join(name, "demo.png")}, made
        for runs in gp.runs():
            assert "PWNED" not in gp_script(runs), f"{name!r} reached gnuplot's commands"
        assert not os.path.exists(os.path.join(d, "tool", "PWNED")), f"{name!r} ran a shell"
        assert "PWNED" not in listing(work), f"{name!r} ran a shell"
        assert os.listdir(gp.tmpdir) == [], os.listdir(gp.tmpdir)


@test
def failed_plot_keeps_old_outputs(d):
    gp = Gnuplot(os.path.join(d, "tool"), fail=True)
    work = os.path.join(d, "work")
    os.mkdir(work)
    save(work, "w.npy", rng(152).standard_normal((4, 3, 3, 3)))
    with open(os.path.join(work, "s.csv"), "w") as f:
        f.write("old\n")
    args = ("sweep", "-w", "w.npy", "--layout", "oihw", "--input-hw", "6x6", "--sparsity",
            "0.5", "--repeat", "3", "--csv", "s.csv")
    fails(3, *args, "--plot", "s.png", cwd=work, env=gp.env, mentions=("s.png", "gnuplot"))
    assert open(os.path.join(work, "s.csv")).read() == "old\n", "the CSV was replaced"
    assert listing(work) == {"w.npy", "s.csv"}, listing(work)
    fails(3, *args, "--plot", "nodir/s.png", cwd=work, mentions=("nodir/s.png",))
    assert open(os.path.join(work, "s.csv")).read() == "old\n", "the CSV was replaced"
    os.mkdir(os.path.join(work, "o"))
    with open(os.path.join(work, "o", "demo.csv"), "w") as f:
        f.write("old\n")
    fails(3, "demo", "--hw", "6", "--sparsity", "0.5", "--repeat", "3", "--out", "o", cwd=work,
          env=gp.env, mentions=("demo.png",))
    assert open(os.path.join(work, "o", "demo.csv")).read() == "old\n", "demo.csv was replaced"
    assert os.listdir(os.path.join(work, "o")) == ["demo.csv"], os.listdir(os.path.join(work, "o"))
    assert os.listdir(gp.tmpdir) == [], os.listdir(gp.tmpdir)


@test
def sweep_and_demo_state_threads_and_contention(d):
    save(d, "w.npy", rng(153).standard_normal((4, 3, 3, 3)))
    base = ("sweep", "-w", "w.npy", "--layout", "oihw", "--input-hw", "6x6", "--sparsity", "0.5",
            "--repeat", "3")
    for extra, n, env in (((), 1, None), (("--threads", "2"), 2, None),
                          (("--threads", "0"), 3, dict(os.environ, OMP_NUM_THREADS="3"))):
        out, _ = ok(*base, *extra, "--csv", "s.csv", cwd=d, env=env)
        head = out.splitlines()[0]
        assert head.endswith(f", {n} thread{'s' if n > 1 else ''}"), head
        assert re.search(rf"^threads: {n} of \d+ cores", out, re.M), out
        assert re.search(r"^timings (look clean|CONTENDED): ", out, re.M), out
        rows = [l.split(",") for l in open(os.path.join(d, "s.csv")).read().splitlines()]
        assert rows[0][9:] == ["threads", "timing_spread"] and rows[1][9] == str(n), rows
        assert float(rows[1][10]) >= 0
    out, _ = ok("demo", "--hw", "6", "--sparsity", "0.5", "--repeat", "3", "--no-plot", "--out",
                "o", cwd=d)
    assert "both engines on 1 thread of the" in out, out
    assert re.search(r"^threads: 1 of \d+ cores", out, re.M), out
    assert re.search(r"^timings (look clean|CONTENDED): ", out, re.M), out


# ---------------------------------------------------------------- docs/cli.md

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "cli.md")


def sh_blocks(path):
    """The ```sh fenced blocks of a markdown file, in order."""
    blocks, cur = [], None
    for line in open(path, encoding="utf-8"):
        if cur is None and line.strip() == "```sh":
            cur = []
        elif cur is not None and line.strip() == "```":
            blocks.append("".join(cur))
            cur = None
        elif cur is not None:
            cur.append(line)
    return blocks


def with_sconv_on_path(d):
    """PATH with `sconv` (the built binary) and `python3` (this interpreter) first."""
    bindir = os.path.join(d, ".bin")
    os.mkdir(bindir)
    os.symlink(SCONV, os.path.join(bindir, "sconv"))
    # a wrapper, not a symlink: a venv's interpreter finds its packages from its own path
    with open(os.path.join(bindir, "python3"), "w") as f:
        f.write(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    os.chmod(os.path.join(bindir, "python3"), 0o755)
    return dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))


@test
def docs_cli_examples_run(d):
    blocks = sh_blocks(DOCS)
    assert len(blocks) >= 4, f"{DOCS}: expected the example blocks, found {len(blocks)}"
    env = with_sconv_on_path(d)
    for i, block in enumerate(blocks):
        p = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=d, env=env,
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, f"docs/cli.md block {i + 1} failed ({p.returncode}):\n" \
                                  f"{block}\n{p.stdout}\n{p.stderr}"
    for f in ("conv1.sconv", "model.sconv", "y.npy", "y2.npy", "z.npy", "masked.sconv",
              "sweep.csv", "sweep.png"):
        assert os.path.getsize(os.path.join(d, f)) > 0, f
    # y2 (NHWC in, NCHW out) equals y (NCHW in): the same convolution
    assert rel_err(load(d, "y2.npy"), load(d, "y.npy").astype(np.float64)) < 1e-5
    assert load(d, "z.npy").shape == (2, 32, 28, 28)


COMMANDS = ["prune", "info", "unpack", "run", "convert", "sweep", "demo"]


if __name__ == "__main__":
    sys.exit(run_tests(TESTS, "sconv-cli"))
