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
# From the venv directory, so `import sconv` can only find the installed package.
r = subprocess.run([py, '-m', 'unittest', 'discover', '-s', here, '-p', 'test_*.py', '-v'],
                   cwd=venv, env=env)
sys.exit(r.returncode)
