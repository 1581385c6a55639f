# tests/install/test_readme_example.py: the README shows docs/examples/conv_example.c verbatim
#   /usr/bin/python3 test_readme_example.py SOURCE_ROOT
# The example is compiled and run by test_install_example.py; this keeps the two from drifting.
# Prints "N passed, M failed" last; exits 1 on any failure.
import difflib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pyshared"))
from md_blocks import blocks_of  # noqa: E402

SOURCE = os.path.abspath(sys.argv[1])


def main():
    with open(os.path.join(SOURCE, "docs", "examples", "conv_example.c")) as f:
        example = f.read()
    c_blocks = blocks_of(os.path.join(SOURCE, "README.md"), "c")
    if example in c_blocks:
        print("ok   the README's C block equals docs/examples/conv_example.c")
        print("1 passed, 0 failed")
        return 0
    print("FAIL no C block of README.md equals docs/examples/conv_example.c")
    closest = max(c_blocks, key=lambda b: difflib.SequenceMatcher(None, b, example).ratio(),
                  default="")
    sys.stdout.writelines(difflib.unified_diff(closest.splitlines(True), example.splitlines(True),
                                               "README.md", "docs/examples/conv_example.c"))
    print("0 passed, 1 failed")
    return 1


if __name__ == "__main__":
    sys.exit(main())
