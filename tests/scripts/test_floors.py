#!/usr/bin/env python3
"""tests/scripts/test_floors.py: the source floors include only downwards (docs/kernels.md, "Architecture").

Runs the two plain greps the architecture promises to print nothing, then checks every
`#include "floor/..."` under src/ against the floors below it. Usage: test_floors.py SRC_ROOT
"""
import os
import re
import subprocess
import sys

# Each floor and the floors it may include (its own is always allowed).
BELOW = {
    "core": set(),
    "layer": {"core"},
    "io": {"core", "layer"},
    "prune": {"core", "layer"},
    "dense": {"core", "layer"},
    "sparse": {"core", "layer"},
    "op": {"core", "layer", "dense", "sparse"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def grep(root, args):
    """Lines a plain grep prints (exit 1, no match, is fine)."""
    r = subprocess.run(["grep", "-rn"] + args, cwd=root, capture_output=True, text=True)
    if r.returncode > 1:
        sys.exit(f"grep {' '.join(args)} failed: {r.stderr}")
    return r.stdout.splitlines()


def main():
    root = sys.argv[1]
    bad = []
    # the commands docs/kernels.md quotes
    bad += [f"an engine or io/prune reaches into the sparse engine: {l}"
            for l in grep(root, ['"sparse/', "src/prune", "src/io", "src/dense"])]
    bad += [f"the sparse engine names the dense one: {l}"
            for l in grep(root, ["dense", "src/sparse", "--include=*.c"])]
    for floor, allowed in BELOW.items():
        top = os.path.join(root, "src", floor)
        if not os.path.isdir(top):
            bad.append(f"src/{floor} is missing")
            continue
        for d, _, files in os.walk(top):
            for f in files:
                if not f.endswith((".c", ".h", ".inc")):
                    continue
                path = os.path.join(d, f)
                with open(path, encoding="utf-8") as fh:
                    for n, line in enumerate(fh, 1):
                        m = INCLUDE.match(line)
                        if m and m.group(1) in BELOW and m.group(1) != floor \
                                and m.group(1) not in allowed:
                            bad.append(f"{os.path.relpath(path, root)}:{n}: src/{floor} "
                                       f"includes src/{m.group(1)}: {line.strip()}")
    for b in bad:
        print(b)
    if bad:
        sys.exit(f"{len(bad)} include(s) across floors")
    print("floors: every include points down")


if __name__ == "__main__":
    main()
