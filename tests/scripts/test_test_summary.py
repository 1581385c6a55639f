#!/usr/bin/env python3
"""tests/scripts/test_test_summary.py: scripts/test-summary counts what meson ran, honestly.

Writes synthetic meson test logs (one JSON object per test) into scratch build directories
and checks the closing line and exit status: Criterion syntheses and "N passed, M failed"
lines are added up, a failed binary without failing cases counts one failure, and a test
meson reports as skipped is named on the line and counted neither as passed nor as failed.
Usage: test_test_summary.py SOURCE_ROOT"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = sys.argv[1]
passed = failed = 0


def summary(tests):
    """(exit status, closing line) of scripts/test-summary on a log of these tests."""
    with tempfile.TemporaryDirectory() as build:
        os.makedirs(os.path.join(build, "meson-logs"))
        with open(os.path.join(build, "meson-logs", "testlog.json"), "w") as f:
            for t in tests:
                f.write(json.dumps(t) + "\n")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "test-summary"), build],
                           capture_output=True, text=True)
        return r.returncode, r.stdout.strip()


def check(name, tests, want_rc, want_line):
    global passed, failed
    rc, line = summary(tests)
    if rc == want_rc and line == want_line:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: got ({rc}, {line!r}), want ({want_rc}, {want_line!r})")


criterion = {"name": "core", "result": "OK",
             "stdout": "[====] Synthesis: Tested: 12 | Passing: 12 | Failing: 0 | Crashing: 0"}
script = {"name": "cli", "result": "OK", "stdout": "cli: 7 passed, 0 failed\n"}
plain_ok = {"name": "floors", "result": "OK", "stdout": ""}
skipped = {"name": "bench_peer_deepsparse", "result": "SKIP",
           "stdout": "deepsparse is not installed in .venv-deepsparse"}
crashed = {"name": "io", "result": "FAIL",
           "stdout": "[====] Synthesis: Tested: 3 | Passing: 3 | Failing: 0 | Crashing: 0"}

check("all pass", [criterion, script, plain_ok], 0, "sconv tests: 20 passed, 0 failed")
check("a skip is named, not passed", [criterion, skipped], 0,
      "sconv tests: 12 passed, 0 failed, 1 skipped (bench_peer_deepsparse)")
check("a failure outside the cases", [criterion, crashed], 1, "sconv tests: 15 passed, 1 failed")
check("failing cases add up", [{"name": "x", "result": "FAIL", "stdout": "x: 4 passed, 2 failed"}],
      1, "sconv tests: 4 passed, 2 failed")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
