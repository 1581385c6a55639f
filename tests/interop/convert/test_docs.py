# tests/interop/convert/test_docs.py: the ```py blocks of docs/python.md run as written
"""The ONNX and Keras examples are marked ```py (the ```python blocks run in tests/python,
whose interpreter has neither onnx nor TensorFlow); they run in order in one namespace, in
an empty directory."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..',
                                'pyshared'))
from md_blocks import blocks_of  # noqa: E402


class TestDocs(unittest.TestCase):
    def test_python_md_onnx_and_keras(self):
        path = os.path.join(os.environ['SCONV_SOURCE'], 'docs', 'python.md')
        blocks = blocks_of(path, 'py')
        self.assertEqual(len(blocks), 2)
        cwd = os.getcwd()
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            try:
                namespace = {}
                for i, block in enumerate(blocks):
                    exec(compile(block, f'docs/python.md py block {i + 1}', 'exec'), namespace)
                self.assertTrue(os.path.exists('net.sconv'))
                self.assertEqual(namespace['y'].shape, (1, 14, 14, 32))
            finally:
                os.chdir(cwd)


if __name__ == '__main__':
    unittest.main()
