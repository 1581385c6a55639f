# bench/python/overhead.py: per-call cost of sconv.Conv2d.__call__ beyond the C run it makes
"""python3 bench/python/overhead.py [repeats]: on a tiny layer (4 -> 4 channels, 1x1, 4x4
pixels) time conv(x) for NumPy and torch inputs, new outputs and out=, and the bare
sc_conv_run of the same plan; overhead = call - run. Best of repeats of 20000 calls each
(warm buffers); prints the CPU model."""
import ctypes
import sys
import time

import numpy as np

import sconv
from sconv import _lib


def best(fn, calls=20000, repeats=7):
    """The best per-call time in microseconds."""
    out = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        out = min(out, (time.perf_counter() - t0) / calls * 1e6)
    return out


def cpu_name():
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    return 'unknown'


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    rng = np.random.default_rng(0)
    layer = sconv.prune(rng.standard_normal((4, 4, 1, 1)).astype(np.float32), sparsity=0.5)
    conv = sconv.Conv2d(layer, threads=1, engine='sparse')
    x = rng.standard_normal((1, 4, 4, 4)).astype(np.float32)
    y = conv(x)
    plan = conv._last
    xp, yp = x.ctypes.data, y.ctypes.data
    run = _lib.sc_conv_run
    c_run = best(lambda: run(plan.op, xp, yp), repeats=repeats)
    noop = _lib.lib.sc_get_alloc_limit
    noop.restype, noop.argtypes = ctypes.c_size_t, []
    c_call = best(noop, repeats=repeats)  # one ctypes call doing nothing
    run_only = c_run - c_call
    rows = [('numpy, new output', lambda: conv(x)),
            ('numpy, out=', lambda: conv(x, out=y))]
    try:
        import torch
        xt = torch.from_numpy(x)
        xcl = xt.to(memory_format=torch.channels_last)
        yt = conv(xt)
        rows += [('torch NCHW, new output', lambda: conv(xt)),
                 ('torch channels_last, new output', lambda: conv(xcl)),
                 ('torch NCHW, out=', lambda: conv(xt, out=yt))]
    except ImportError:
        pass
    print(f'cpu: {cpu_name()}')
    print(f'sc_conv_run through ctypes: {c_run:.2f} us (an empty ctypes call: {c_call:.2f} us; '
          f'the C run itself ~{run_only:.2f} us)')
    for name, fn in rows:
        t = best(fn, repeats=repeats)
        print(f'{name:34s} {t:6.2f} us per call, overhead {t - run_only:5.2f} us')


if __name__ == '__main__':
    main()
