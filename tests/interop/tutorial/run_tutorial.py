# tests/interop/tutorial/run_tutorial.py: run every command of one section of
# docs/tutorial.md, as written, so the tutorial cannot rot.
#   python3 run_tutorial.py SECTION SCONV TUTORIAL.md      (SECTION: PyTorch or Keras)
# Run with the interpreter that section needs (torch_python / tf_python): it becomes the
# `python3` the tutorial's commands see. Fenced blocks "```python FILE" and "```c FILE"
# are written to FILE; "```sh" blocks run in order with bash -euo pipefail in a scratch
# directory, each after the "Before you start" block. `build` in the scratch directory
# links to the build directory of SCONV, so the tutorial's paths work literally.
# Prints "N passed, M failed" last (one count per sh block; after a failure the
# remaining blocks are counted as failed, not run).
import os
import subprocess
import sys
import tempfile


def parse(path):
    """[(section, kind, info, text)] for every fenced block; section = the '## ' heading."""
    blocks, section, cur = [], "", None
    for line in open(path, encoding="utf-8"):
        if cur is None and line.startswith("## "):
            section = line[3:].strip()
        elif cur is None and line.startswith("```") and line.strip() != "```":
            words = line.strip()[3:].split()
            cur = (section, words[0], words[1:], [])
        elif cur is not None and line.strip() == "```":
            blocks.append((cur[0], cur[1], cur[2], "".join(cur[3])))
            cur = None
        elif cur is not None:
            cur[3].append(line)
    if cur is not None:
        raise SystemExit(f"{path}: unterminated code block in section '{cur[0]}'")
    return blocks


def main():
    section, sconv, doc = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    build = os.path.dirname(os.path.dirname(os.path.dirname(sconv)))  # build/src/cli/sconv
    blocks = parse(doc)
    setup = [b[3] for b in blocks if b[0] == "Before you start" and b[1] == "sh"]
    mine = [b for b in blocks if b[0].endswith(section)]
    files = [b for b in mine if b[1] in ("python", "c")]
    steps = [b[3] for b in mine if b[1] == "sh"]
    if len(setup) != 1 or not files or not steps:
        print(f"{doc}: section '{section}': expected one setup block, file blocks and sh "
              f"blocks; found {len(setup)}, {len(files)}, {len(steps)}")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix=f"sconv-tutorial-{section}-") as d:
        os.symlink(build, os.path.join(d, "build"))
        bindir = os.path.join(d, ".bin")
        os.mkdir(bindir)
        # a wrapper, not a symlink: a venv's interpreter finds its packages from its own path
        with open(os.path.join(bindir, "python3"), "w") as f:
            f.write(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        os.chmod(os.path.join(bindir, "python3"), 0o755)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        for _, kind, info, text in files:
            if len(info) != 1:
                print(f"FAIL  a ```{kind} block without a file name: {text[:60]!r}")
                failed += 1
                continue
            with open(os.path.join(d, info[0]), "w", encoding="utf-8") as f:
                f.write(text)
        for i, step in enumerate(steps):
            if failed:
                print(f"FAIL  block {i + 1}: not run after an earlier failure")
                failed += 1
                continue
            p = subprocess.run(["bash", "-euo", "pipefail", "-c", setup[0] + step], cwd=d,
                               env=env, capture_output=True, text=True, timeout=900)
            print(f"---- block {i + 1}:\n{step}{p.stdout}{p.stderr}", end="")
            if p.returncode == 0:
                print(f"ok    block {i + 1}")
                passed += 1
            else:
                print(f"FAIL  block {i + 1}: exit {p.returncode}")
                failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
