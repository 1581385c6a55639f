# tests/install/test_pkgconfig.py: the generated sconv.pc files, read through pkg-config
#   /usr/bin/python3 test_pkgconfig.py BUILD_DIR SOURCE_ROOT INCLUDEDIR
# Installed and uninstalled: compile flags name sconv's public include directory only (no
# dependency's headers, no private src/), the link flags of a static link reach every
# library sconv calls, and no flag is listed twice.
# Prints one line per check and "N passed, M failed" last; exits 1 on any failure.
import os
import subprocess
import sys

BUILD, SOURCE, INCLUDEDIR = (os.path.abspath(a) for a in sys.argv[1:4])
CHECKS = []


def check(name, good, detail=""):
    CHECKS.append(good)
    print(f"{'ok  ' if good else 'FAIL'} {name}" + ("" if good else f": {detail}"))


def pkg_config(pc_dir, *args):
    env = dict(os.environ, PKG_CONFIG_PATH=pc_dir)
    env.pop("PKG_CONFIG_SYSROOT_DIR", None)
    p = subprocess.run(["pkg-config", *args], env=env, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"pkg-config {' '.join(args)}: {p.stderr}")
    return p.stdout.split()


def field(pc_path, key):
    """The tokens of one field ("Libs.private") of a .pc file, unexpanded."""
    with open(pc_path) as f:
        for line in f:
            if line.startswith(key + ":"):
                return line[len(key) + 1:].split()
    return []


def dups(tokens):
    return sorted({t for t in tokens if tokens.count(t) > 1})


def check_pc(label, pc_dir, module, installed):
    pc = os.path.join(pc_dir, module + ".pc")
    cflags = pkg_config(pc_dir, "--cflags", module)
    incdirs = [os.path.normpath(t[2:]) for t in cflags if t.startswith("-I")]
    private = [d for d in incdirs
               if d == os.path.join(SOURCE, "src") or d.startswith(os.path.join(SOURCE, "src") + "/")
               or d == os.path.join(BUILD, "src") or d.startswith(os.path.join(BUILD, "src") + "/")]
    check(f"{label}: no private src/ include directory", not private, private)
    if installed:
        check(f"{label}: the include directory is the installed one",
              incdirs == [INCLUDEDIR], cflags)
    else:
        public = [d for d in incdirs if os.path.isfile(os.path.join(d, "sconv.h"))]
        check(f"{label}: the public include directory is there", public != [], cflags)
    foreign = [t for t in cflags if not t.startswith("-I")
               or not (t[2:].startswith(SOURCE) or t[2:].startswith(BUILD)
                       or os.path.normpath(t[2:]) == INCLUDEDIR)]
    check(f"{label}: no other package's compile flags", not foreign, foreign)
    for key in ("Libs", "Libs.private"):
        d = dups(field(pc, key))
        check(f"{label}: {key} lists each flag once", not d, d)
    libs = pkg_config(pc_dir, "--static", "--libs", module)
    missing = [f for f in ("-lsconv", "-fopenmp", "-lopenblas", "-ljansson", "-lcxsparse", "-lm")
               if f not in libs]
    check(f"{label}: a static link gets every library", not missing, f"missing {missing}")


def main():
    # The installed one is written into meson-private and copied as is by meson install.
    check_pc("installed sconv.pc", os.path.join(BUILD, "meson-private"), "sconv", True)
    check_pc("uninstalled sconv.pc", os.path.join(BUILD, "meson-uninstalled"), "sconv-uninstalled",
             False)
    failed = CHECKS.count(False)
    print(f"{len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
