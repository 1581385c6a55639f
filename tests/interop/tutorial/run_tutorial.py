# tests/interop/tutorial/run_tutorial.py: run docs/tutorial.md as a reader does, so the
# tutorial cannot rot.
#   python3 run_tutorial.py SCONV_ROOT SCONV_BUILD TUTORIAL.md
# Every fenced block, in document order, goes into one bash session (-euo pipefail, so any
# failing command fails the test): "```sh" blocks run as written, "```python FILE" and
# "```c FILE" blocks are saved to FILE where the reader saves them. The session starts in a
# new empty directory with a minimal environment (PATH of the system directories, an empty
# HOME) plus only what "Before you start" asks the reader to set: SCONV_ROOT (the checkout)
# and SCONV_BUILD (its build directory; here the one under test). Nothing is substituted.
# Prints "N passed, M failed" last, one count per sh block; blocks after a failure count as
# failed, not run.
import os
import re
import subprocess
import sys
import tempfile

SAVED = ("python", "c")     # "```LANG FILE": the reader saves it as FILE
SHOWN = ("text", "console")  # output shown to the reader, not run


def parse(path):
    """[(line, kind, info, text)] for every fenced block of the markdown file."""
    blocks, cur = [], None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if cur is None and line.startswith("```"):
                words = line.strip()[3:].split()
                cur = (n, words[0] if words else "", words[1:], [])
            elif cur is not None and line.strip() == "```":
                blocks.append((cur[0], cur[1], cur[2], "".join(cur[3])))
                cur = None
            elif cur is not None:
                cur[3].append(line)
    if cur is not None:
        raise ValueError(f"{path}:{cur[0]}: unterminated code block")
    return blocks


def script(doc, blocks):
    """(bash script, number of sh blocks): the reader's session, with progress lines."""
    out, steps = [], 0
    for line, kind, info, text in blocks:
        where = f"{os.path.basename(doc)}:{line}"
        if kind in SAVED:
            if len(info) != 1 or not re.fullmatch(r"[\w.-]+", info[0]):
                raise ValueError(f"{where}: a ```{kind} block needs one file name")
            eof = "SCONV_TUTORIAL_EOF"
            if eof in text:
                raise ValueError(f"{where}: the block contains {eof}")
            out.append(f"cat > {info[0]} <<'{eof}'\n{text}{eof}\n")
        elif kind == "sh" and not info:
            steps += 1
            out.append(f"echo '---- block {steps} ({where})'\n{text}"
                       f"echo 'ok    block {steps}'\n")
        elif kind not in SHOWN:
            raise ValueError(f"{where}: unknown block kind ```{kind} {' '.join(info)}")
    return "".join(out), steps


def main():
    root, build, doc = (os.path.abspath(a) for a in sys.argv[1:4])
    try:
        text, steps = script(doc, parse(doc))
    except ValueError as e:
        print(f"{e}\n0 passed, 1 failed")
        return 1
    if steps == 0:
        print(f"{doc}: no sh blocks\n0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory(prefix="sconv-tutorial-") as tmp:
        work, home = os.path.join(tmp, "work"), os.path.join(tmp, "home")
        os.mkdir(work)
        os.mkdir(home)
        path = os.path.join(tmp, "session.sh")  # outside work, which stays empty
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
               "SCONV_ROOT": root, "SCONV_BUILD": build}
        p = subprocess.run(["/bin/bash", "-euo", "pipefail", path], cwd=work, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=1400)  # below meson's 1500 s
    print(p.stdout, end="")
    passed = len(re.findall(r"^ok    block \d+$", p.stdout, re.M))
    if p.returncode != 0 or passed != steps:
        print(f"FAIL  block {passed + 1}: exit {p.returncode}; "
              f"{max(steps - passed - 1, 0)} later block(s) not run")
    print(f"{passed} passed, {steps - passed} failed")
    return 0 if p.returncode == 0 and passed == steps else 1


if __name__ == "__main__":
    sys.exit(main())
