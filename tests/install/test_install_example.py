# tests/install/test_install_example.py: the README's C example against the installed library
#   CC=... /usr/bin/python3 test_install_example.py BUILD_DIR SOURCE_ROOT PREFIX LIBDIR BINDIR
# `meson install --destdir` puts this build in a scratch root; the README's shell lines (make
# weights with NumPy, `sconv prune`, compile with pkg-config, run) run there as written, with
# pkg-config and the loader pointed at that root. The example's y.npy is checked against a
# float64 NumPy convolution of the kept weights, whose mask is checked against |w| ranking.
# Prints one line per check and "N passed, M failed" last; exits 1 on any failure.
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pyshared"))
from md_blocks import fenced_blocks  # noqa: E402

BUILD, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
PREFIX, LIBDIR, BINDIR = sys.argv[3:6]
CC = shlex.split(os.environ.get("CC", "cc"))
CHECKS = []


def check(name, good, detail=""):
    CHECKS.append(good)
    print(f"{'ok  ' if good else 'FAIL'} {name}" + ("" if good else f": {detail}"))
    return good


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=240, **kw)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n"
                             f"{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p.stdout


def readme_lines():
    """The README's shell block that builds and runs conv_example."""
    for lang, text in fenced_blocks(os.path.join(SOURCE, "README.md")):
        if lang == "sh" and "./conv_example" in text:
            return text
    raise AssertionError("README.md has no sh block running ./conv_example")


def oracle(w, bias, x, pad):
    """ReLU(conv(x, w) + bias) in float64, NHWC, stride 1, and sum |w||x| per output."""
    oc, _, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((pad, pad), (pad, pad), (0, 0)))
    oh, ow = xp.shape[0] - kh + 1, xp.shape[1] - kw + 1
    y = np.zeros((oh, ow, oc)) + bias.astype(np.float64)
    mag = np.zeros((oh, ow, oc))
    for i in range(kh):
        for j in range(kw):
            tap = xp[i:i + oh, j:j + ow, :]
            y += tap @ w[:, :, i, j].astype(np.float64).T
            mag += np.abs(tap) @ np.abs(w[:, :, i, j].astype(np.float64)).T
    return np.maximum(y, 0.0), mag


def main():
    with tempfile.TemporaryDirectory(prefix="sconv-install-") as tmp:
        dest = os.path.join(tmp, "dest")
        run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet", "--destdir", dest])
        root = lambda path: dest + path  # noqa: E731  (an absolute install path under dest)
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        shutil.copy(os.path.join(SOURCE, "docs", "examples", "conv_example.c"), work)
        env = dict(os.environ,
                   PATH=os.pathsep.join([root(BINDIR), "/usr/bin", "/bin"]),
                   PKG_CONFIG_PATH=os.path.join(root(LIBDIR), "pkgconfig"),
                   PKG_CONFIG_SYSROOT_DIR=dest,
                   LD_LIBRARY_PATH=root(LIBDIR))
        env.pop("PKG_CONFIG_LIBDIR", None)

        # Held to a stricter standard than the README's line asks.
        flags = run(["pkg-config", "--cflags", "--libs", "sconv"], env=env).split()
        run(CC + ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "conv_example.c",
                  *flags, "-o", "conv_example_strict"], cwd=work, env=env)
        check("conv_example.c compiles cleanly against the installed headers", True)

        out = run(["bash", "-euo", "pipefail", "-c", readme_lines()], cwd=work, env=env)
        check("the README's lines run against the install", True)
        check("the example reports the engine it ran", "engine " in out, out)

        w = np.load(os.path.join(work, "conv1.npy"))
        bias = np.load(os.path.join(work, "bias1.npy"))
        y = np.load(os.path.join(work, "y.npy"))
        run(["sconv", "unpack", "-m", "model.sconv", "--layout", "oihw", "-o", "kept.npy"],
            cwd=work, env=env)
        kept = np.load(os.path.join(work, "kept.npy"))
        nz = kept != 0
        n_keep = w.size - round(0.9 * w.size)
        ok_mask = (np.array_equal(kept[nz], w[nz]) and int(nz.sum()) == n_keep
                   and np.abs(w[nz]).min() >= np.abs(w[~nz]).max())
        check(f"the kept weights are the {n_keep} largest |w|", ok_mask, f"{int(nz.sum())} kept")

        h, wd = 56, 56  # the README's ./conv_example line
        c = np.arange(w.shape[1])
        hh, ww = np.meshgrid(np.arange(h), np.arange(wd), indexing="ij")
        x = (((hh[:, :, None] * 7 + ww[:, :, None] * 3 + c * 5) % 17) - 8) / 8.0
        want, mag = oracle(kept, bias, x.astype(np.float32), pad=1)
        # Each output sums 64*3*3 float32 products: allow that many roundings of sum |w||x|.
        tol = kept.shape[1] * 9 * np.finfo(np.float32).eps * (mag + np.abs(bias))
        if check("y.npy has the output's shape", y.shape == (1, h, wd, w.shape[0]), y.shape):
            err = np.abs(y[0].astype(np.float64) - want)
            bad = np.argwhere(err > tol)
            detail = "" if not len(bad) else \
                f"{len(bad)} wrong, first (h, w, c) {tuple(bad[0])}: got " \
                f"{y[0][tuple(bad[0])]}, want {want[tuple(bad[0])]}"
            check("y.npy equals the float64 NumPy convolution", not len(bad), detail)
    failed = CHECKS.count(False)
    print(f"{len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print(f"FAIL {e}")
        print(f"{CHECKS.count(True)} passed, {CHECKS.count(False) + 1} failed")
        sys.exit(1)
