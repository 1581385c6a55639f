# tests/python/run.py: make a fresh venv, pip install the package from the checkout, run tests
"""run.py SOURCE_ROOT VENV_DIR: the venv sees Debian's torch and numpy (system site
packages); pip installs without network (no build isolation, no dependencies)."""
import os
import shutil
import subprocess
import sys

src, venv = sys.argv[1], sys.argv[2]
shutil.rmtree(venv, ignore_errors=True)
subprocess.run([sys.executable, '-m', 'venv', '--system-site-packages', venv], check=True)
py = os.path.join(venv, 'bin', 'python3')
subprocess.run([py, '-m', 'pip', 'install', '-q', '--disable-pip-version-check',
                '--no-build-isolation', '--no-deps', '--no-index', src], check=True)
env = dict(os.environ, SCONV_SOURCE=src, SCONV_TMP=os.path.join(venv, 'tmp'))
env.pop('SCONV_LIBRARY', None)
os.makedirs(env['SCONV_TMP'], exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
# The closing "N passed, M failed" line is what scripts/test-summary counts; a skipped
# test counts as failed.
runner = ('import sys, unittest\n'
          'suite = unittest.defaultTestLoader.discover(sys.argv[1], "test_*.py")\n'
          'r = unittest.TextTestRunner(verbosity=2).run(suite)\n'
          'bad = len(r.failures) + len(r.errors) + len(r.skipped) + len(r.unexpectedSuccesses)\n'
          'print(f"{r.testsRun - bad} passed, {bad} failed")\n'
          'sys.exit(1 if bad else 0)\n')
# From the venv directory, so `import sconv` can only find the installed package.
r = subprocess.run([py, '-c', runner, here], cwd=venv, env=env)
sys.exit(r.returncode)
