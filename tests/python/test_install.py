# tests/python/test_install.py: the package pip installed: where it lives, what it carries
import os
import re
import sys
import unittest

import sconv


class TestInstall(unittest.TestCase):
    def test_imported_from_the_venv(self):
        pkg = os.path.dirname(sconv.__file__)
        self.assertTrue(pkg.startswith(sys.prefix), f'{pkg} outside {sys.prefix}')
        self.assertEqual(os.path.dirname(sconv.library_path), pkg)

    def test_version_is_the_projects(self):
        with open(os.path.join(os.environ['SCONV_SOURCE'], 'meson.build')) as f:
            version = re.search(r"version : '([0-9.]+)'", f.read()).group(1)
        self.assertEqual(sconv.__version__, version)

    def test_only_the_package_is_installed(self):
        # the C headers, pkg-config file and command belong to `meson install`, not the wheel
        for path in ('include/sconv.h', 'bin/sconv', 'lib/pkgconfig/sconv.pc'):
            self.assertFalse(os.path.exists(os.path.join(sys.prefix, path)), path)


if __name__ == '__main__':
    unittest.main()
