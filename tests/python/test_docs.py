# tests/python/test_docs.py: the Python blocks of README.md and docs/python.md run as written
"""Each file's ```python blocks run in order in one namespace, in an empty directory."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'pyshared'))
from md_blocks import blocks_of  # noqa: E402


class TestDocs(unittest.TestCase):
    def run_blocks(self, rel, at_least):
        path = os.path.join(os.environ['SCONV_SOURCE'], rel)
        blocks = blocks_of(path, 'python')
        self.assertGreaterEqual(len(blocks), at_least, rel)
        cwd = os.getcwd()
        with tempfile.TemporaryDirectory(dir=os.environ['SCONV_TMP']) as tmp:
            os.chdir(tmp)
            try:
                namespace = {}
                for i, block in enumerate(blocks):
                    exec(compile(block, f'{rel} python block {i + 1}', 'exec'), namespace)
                self.assertTrue(os.path.exists('conv1.sconv'), rel)
            finally:
                os.chdir(cwd)

    def test_readme(self):
        self.run_blocks('README.md', 1)

    def test_python_md(self):
        self.run_blocks('docs/python.md', 2)


if __name__ == '__main__':
    unittest.main()
