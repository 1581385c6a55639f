# tests/cli/test_cli.py: end-to-end tests of the sconv command, driving the built binary
#   /usr/bin/python3 test_cli.py SCONV [PRUNE_ORACLE]
# Each test runs the binary in a scratch directory and compares files with NumPy or with
# the library itself (PRUNE_ORACLE, a small C driver calling sc_prune_mask directly).
# Prints one line per test and "N passed, M failed" last; exits 1 on any failure.
import os
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


def sconv(*args, cwd):
    """Run sconv; returns (exit code, stdout, stderr)."""
    p = subprocess.run([SCONV] + [str(a) for a in args], cwd=cwd, capture_output=True,
                       text=True, timeout=600)
    if p.returncode < 0:  # a signal: a crash or a sanitizer abort is never an expected outcome
        raise AssertionError(f"sconv {' '.join(map(str, args))} died with signal "
                             f"{-p.returncode}:\n{p.stderr}")
    return p.returncode, p.stdout, p.stderr


def ok(*args, cwd):
    code, out, err = sconv(*args, cwd=cwd)
    assert code == 0, f"sconv {' '.join(map(str, args))} exited {code}:\n{err}"
    return out, err


def fails(expect_code, *args, cwd, mentions=()):
    """Run, expect `expect_code`, a one-line reason on stderr naming each of `mentions`."""
    code, out, err = sconv(*args, cwd=cwd)
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


COMMANDS = ["convert"]


def main():
    passed = failed = 0
    for fn in TESTS:
        with tempfile.TemporaryDirectory(prefix=f"sconv-cli-{fn.__name__}-") as d:
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


if __name__ == "__main__":
    sys.exit(main())
