# tests/scripts/test_fresh_configure.py: a copy of the source tree without .venv configures
#   /usr/bin/python3 test_fresh_configure.py SOURCE_ROOT
# With -Dinterop=auto a missing .venv only leaves the TensorFlow tests out; with
# -Dinterop=enabled it stops configure with sconv's own message naming the fix.
# Prints one line per check and "N passed, M failed" last; exits 1 on any failure.
import os
import shutil
import subprocess
import sys
import tempfile

SOURCE = os.path.abspath(sys.argv[1])
# Never copied: what a fresh clone does not have.
SKIP_AT_ROOT = {".git", ".venv", "out"}


def ignore(directory, names):
    skip = {n for n in names if n == "__pycache__"}
    if os.path.abspath(directory) == SOURCE:
        skip |= {n for n in names if n in SKIP_AT_ROOT or n.startswith("build")}
    return skip


def setup(tree, build, *options):
    p = subprocess.run(["meson", "setup", build, *options], cwd=tree, capture_output=True,
                       text=True, timeout=240)
    return p.returncode, p.stdout + p.stderr


def main():
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="sconv-fresh-") as tmp:
        tree = os.path.join(tmp, "src")
        shutil.copytree(SOURCE, tree, ignore=ignore, symlinks=True)
        assert not os.path.lexists(os.path.join(tree, ".venv"))
        checks = []

        rc, out = setup(tree, "build-auto", "-Dtests=true", "-Dinterop=auto", "-Dbench=disabled")
        checks.append(("interop=auto without .venv configures", rc == 0, out))

        rc, out = setup(tree, "build-enabled", "-Dtests=true", "-Dinterop=enabled",
                        "-Dbench=disabled")
        good = rc != 0 and "run scripts/install-deps --python" in out \
            and "not found or not executable" not in out
        checks.append(("interop=enabled without .venv stops with sconv's message", good, out))

        for name, good, out in checks:
            print(f"{'ok  ' if good else 'FAIL'} {name}")
            if good:
                passed += 1
            else:
                failed += 1
                print(out[-3000:])
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
