# tests/scripts/test_demo_script.py: scripts/demo's build steps, on a stub project
#   /usr/bin/python3 test_demo_script.py SOURCE_ROOT
# The stub has the real scripts/demo and meson_options.txt, an install-deps that does
# nothing, and a `sconv` that prints whether it was built optimized without assertions, so
# each case takes seconds. Checks: the demo builds in build-demo/ as a release even when
# scripts/test's debug build/ exists, BUILD_DIR is honoured (and made a release), and a
# failed configure or compile shows meson's or the compiler's own message.
# Prints one line per check and "N passed, M failed" last; exits 1 on any failure.
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

SOURCE = os.path.abspath(sys.argv[1])

STUB_MAIN = r"""
#include <stdio.h>
int main(int argc, char **argv)
{
#if defined(NDEBUG) && defined(__OPTIMIZE__)
    const int release = 1;
#else
    const int release = 0;
#endif
    printf("stub sconv: release=%d args=", release);
    for (int i = 1; i < argc; ++i)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
    return 0;
}
"""


def make_stub(tmp, meson_extra="", main_extra=""):
    tree = os.path.join(tmp, "tree")
    os.makedirs(os.path.join(tree, "scripts"))
    os.makedirs(os.path.join(tree, "src", "cli"))
    shutil.copy(os.path.join(SOURCE, "scripts", "demo"), os.path.join(tree, "scripts"))
    shutil.copy(os.path.join(SOURCE, "meson_options.txt"), tree)
    deps = os.path.join(tree, "scripts", "install-deps")
    with open(deps, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(deps, 0o755)
    with open(os.path.join(tree, "meson.build"), "w") as f:
        f.write("project('stub', 'c')\n" + meson_extra + "subdir('src/cli')\n")
    with open(os.path.join(tree, "src", "cli", "meson.build"), "w") as f:
        f.write("executable('sconv', 'main.c')\n")
    with open(os.path.join(tree, "src", "cli", "main.c"), "w") as f:
        f.write(main_extra + STUB_MAIN)
    return tree


def run(tree, *args, build_dir=None):
    env = dict(os.environ)
    env.pop("BUILD_DIR", None)
    if build_dir is not None:
        env["BUILD_DIR"] = build_dir
    p = subprocess.run(["scripts/demo", *args], cwd=tree, env=env, capture_output=True,
                       text=True, timeout=240)
    return p.returncode, p.stdout, p.stderr


def configure_debug(tree, build):
    """What scripts/test leaves behind: a debugoptimized build with assertions."""
    subprocess.run(["meson", "setup", build, "-Dbuildtype=debugoptimized", "-Db_ndebug=false"],
                   cwd=tree, check=True, capture_output=True, timeout=240)
    with open(os.path.join(tree, build, "build.ninja"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def buildtype(tree, build):
    p = subprocess.run(["meson", "configure", build], cwd=tree, capture_output=True, text=True,
                       check=True, timeout=60)
    for line in p.stdout.splitlines():
        words = line.split()
        if words[:1] == ["buildtype"]:
            return words[1]
    return None


def case_own_release_dir(tmp):
    tree = make_stub(tmp)
    before = configure_debug(tree, "build")
    rc, out, err = run(tree, "--threads", "1")
    assert rc == 0, f"exit {rc}\n{out}\n{err}"
    assert "stub sconv: release=1 args=demo --threads 1" in out, out + err
    assert os.path.isfile(os.path.join(tree, "build-demo", "build.ninja")), "no build-demo/"
    assert buildtype(tree, "build-demo") == "release", buildtype(tree, "build-demo")
    with open(os.path.join(tree, "build", "build.ninja"), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == before, "the demo changed build/"
    rc, out, err = run(tree)  # a second run reuses build-demo/
    assert rc == 0 and "stub sconv: release=1 args=demo\n" in out, out + err


def case_build_dir_override(tmp):
    tree = make_stub(tmp)
    rc, out, err = run(tree, build_dir="mine")
    assert rc == 0 and "release=1" in out, out + err
    assert os.path.isfile(os.path.join(tree, "mine", "build.ninja")), "BUILD_DIR ignored"
    assert not os.path.exists(os.path.join(tree, "build-demo")), "BUILD_DIR ignored"
    configure_debug(tree, "dbg")  # an override naming a debug build is made a release
    rc, out, err = run(tree, build_dir="dbg")
    assert rc == 0 and "release=1" in out, out + err
    assert buildtype(tree, "dbg") == "release", buildtype(tree, "dbg")


def case_configure_error_shown(tmp):
    tree = make_stub(tmp, meson_extra="error('stub configure failure 7431')\n")
    rc, out, err = run(tree)
    assert rc != 0, "a failed configure exited 0"
    assert "stub configure failure 7431" in err, f"meson's message not shown:\n{out}\n{err}"


def case_compile_error_shown(tmp):
    tree = make_stub(tmp, main_extra="#error stub compile failure 2207\n")
    rc, out, err = run(tree)
    assert rc != 0, "a failed build exited 0"
    assert "stub compile failure 2207" in err, f"the compiler's message not shown:\n{out}\n{err}"


CASES = [case_own_release_dir, case_build_dir_override, case_configure_error_shown,
         case_compile_error_shown]


def main():
    passed = failed = 0
    for case in CASES:
        with tempfile.TemporaryDirectory(prefix="sconv-demo-") as tmp:
            try:
                case(tmp)
                print(f"ok   {case.__name__}")
                passed += 1
            except Exception as e:  # report every case, then fail
                print(f"FAIL {case.__name__}: {type(e).__name__}: {e}")
                failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
