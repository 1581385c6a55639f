# tests/interop/convert/run.py: sconv.onnx and sconv.keras tested in a fresh venv
"""run.py SOURCE_ROOT WORK_DIR TF_PYTHON, run by Debian's python3 (torch, torchvision,
meson-python): it exports the pruned ResNet-50 to ONNX, builds the package's wheel from the
checkout, installs it into a fresh venv of TF_PYTHON (the project's .venv: NumPy 2, onnx,
onnxruntime, TensorFlow, tf-keras, Keras 3, TF-MOT, seen through a .pth file), and runs
test_onnx.py, test_keras.py and test_docs.py there."""
import glob
import os
import shutil
import subprocess
import sys

src, work, tf_python = sys.argv[1], sys.argv[2], sys.argv[3]
here = os.path.dirname(os.path.abspath(__file__))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
resnet = os.path.join(work, 'resnet50.onnx')
subprocess.run([sys.executable, os.path.join(here, 'export_resnet.py'), resnet], check=True)

wheels = os.path.join(work, 'wheel')
subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--disable-pip-version-check',
                '--no-build-isolation', '--no-deps', '--no-index', '-w', wheels, src], check=True)
venv = os.path.join(work, 'venv')
subprocess.run([tf_python, '-m', 'venv', venv], check=True)
py = os.path.join(venv, 'bin', 'python3')


def purelib(python):
    return subprocess.run([python, '-c', 'import sysconfig; print(sysconfig.get_path("purelib"))'],
                          check=True, capture_output=True, text=True).stdout.strip()


with open(os.path.join(purelib(py), 'frameworks.pth'), 'w') as f:
    f.write(purelib(tf_python) + '\n')
subprocess.run([py, '-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-deps',
                '--no-index'] + glob.glob(os.path.join(wheels, '*.whl')), check=True)

env = dict(os.environ, SCONV_RESNET=resnet, SCONV_SOURCE=src, PYTHONPATH=here,
           TF_CPP_MIN_LOG_LEVEL='2', TF_USE_LEGACY_KERAS='1', CUDA_VISIBLE_DEVICES='')
env.pop('SCONV_LIBRARY', None)
# The closing "N passed, M failed" line is what scripts/test-summary counts; a skipped
# test counts as failed.
runner = ('import sys, unittest\n'
          'import sconv\n'
          'assert sconv.__file__.startswith(sys.prefix), sconv.__file__\n'
          'names = ["test_onnx", "test_keras", "test_docs"]\n'
          'suite = unittest.defaultTestLoader.loadTestsFromNames(names)\n'
          'r = unittest.TextTestRunner(verbosity=2).run(suite)\n'
          'bad = len(r.failures) + len(r.errors) + len(r.skipped) + len(r.unexpectedSuccesses)\n'
          'print(f"{r.testsRun - bad} passed, {bad} failed")\n'
          'sys.exit(1 if bad else 0)\n')
# From the venv directory, so `import sconv` can only find the installed package.
r = subprocess.run([py, '-c', runner], cwd=venv, env=env)
sys.exit(r.returncode)
