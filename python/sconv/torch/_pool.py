# python/sconv/torch/_pool.py: ChannelsLastPool, torch's 2-D max-pool by the fastest route
"""ChannelsLastPool computes torch.max_pool2d of a contiguous (NCHW) input either as given,
on a channels_last copy converted back to contiguous as torch's own pool returns it, or
separably (rows, then columns through a channels_last view: no layout copy); max is exact,
so all give the same bits. Which route is faster depends on the torch build, the shape and
the thread count, so the first call with a new (shape, dtype, threads) times them all and
later calls take the cached winner."""
import collections
import time

import torch

from ._pool_separable import separable_max_pool2d

ROUTES = ('torch', 'channels_last', 'separable')
_RUNS = 3  # timed runs per route; the best counts, so a late page fault or a preempted run do not

Decision = collections.namedtuple('Decision', 'route torch_ms channels_last_ms separable_ms')


def _standard_strides(y):
    """Contiguous y with the strides torch gives a new contiguous tensor, also on extents of
    1 (where contiguous() keeps whatever a channels_last or strided view had)."""
    n, c, h, w = y.shape
    return y.as_strided(y.shape, (c * h * w, h * w, w, 1))


def _key(x):
    return tuple(x.shape), x.dtype, torch.get_num_threads()


class ChannelsLastPool(torch.nn.Module):
    """y = torch.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode), bit for bit,
    through channels_last or separably when that measured faster.

    source names the pool it replaces. route: 'auto' (measure once per key), or 'torch' /
    'channels_last' / 'separable' to force one (for tests). Only contiguous 4-D
    float32/float64 CPU tensors take a route; any other input (unbatched, channels_last,
    other strides, whose pooled output torch may lay out otherwise) goes straight to
    torch's pool. decisions maps each
    measured key (shape, dtype, threads) to a Decision (route, torch_ms, channels_last_ms,
    separable_ms); copies and pickles start with none."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *,
                 source='', route='auto'):
        super().__init__()
        if route != 'auto' and route not in ROUTES:
            raise ValueError(f"route: {route!r}: expected 'auto', 'torch', 'channels_last' "
                             "or 'separable'")
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode
        self.source, self.forced = source, route
        self.decisions = {}

    def _pool(self, x):
        stride = () if self.stride is None else self.stride  # () means the kernel size
        return torch.max_pool2d(x, self.kernel_size, stride, self.padding, self.dilation,
                                self.ceil_mode)

    def _run(self, route, x):
        if route == 'torch':
            return self._pool(x)
        if route == 'separable':
            y = separable_max_pool2d(x, self.kernel_size, self.stride, self.padding,
                                     self.dilation, self.ceil_mode)
        else:
            y = self._pool(x.contiguous(memory_format=torch.channels_last)).contiguous()
        return _standard_strides(y)

    @staticmethod
    def _eligible(x):
        return (isinstance(x, torch.Tensor) and x.dim() == 4 and x.device.type == 'cpu'
                and x.dtype in (torch.float32, torch.float64) and x.numel() > 0
                and x.is_contiguous()
                and not x.is_contiguous(memory_format=torch.channels_last))

    def _measure(self, x):
        """Every route timed _RUNS times, interleaved; the Decision and one output."""
        best = {r: float('inf') for r in ROUTES}
        for _ in range(_RUNS):
            for r in ROUTES:
                t0 = time.perf_counter()
                y = self._run(r, x)
                best[r] = min(best[r], time.perf_counter() - t0)
        route = min(ROUTES, key=lambda r: best[r])  # a tie keeps torch's own
        return Decision(route, *(best[r] * 1e3 for r in ROUTES)), y

    def forward(self, input):  # named as nn.MaxPool2d's, which it replaces
        x = input
        if not self._eligible(x):
            return self._pool(x)
        if self.forced != 'auto':
            return self._run(self.forced, x)
        key = _key(x)
        d = self.decisions.get(key)
        if d is None:
            d, y = self._measure(x)
            self.decisions[key] = d
            return y
        return self._run(d.route, x)

    def route(self, shape, dtype=torch.float32, threads=None):
        """The cached route for contiguous inputs of this shape ('torch', 'channels_last' or
        'separable'), or None when not measured yet; threads defaults to
        torch.get_num_threads()."""
        threads = torch.get_num_threads() if threads is None else threads
        d = self.decisions.get((tuple(shape), dtype, threads))
        return None if d is None else d.route

    def __getstate__(self):
        state = self.__dict__.copy()
        state['decisions'] = {}  # measured on this machine and load: the copy measures again
        return state

    def extra_repr(self):
        text = (f'{self.source!r}: max_pool2d kernel_size={self.kernel_size}, '
                f'stride={self.stride}, padding={self.padding}, dilation={self.dilation}, '
                f'ceil_mode={self.ceil_mode}')
        if self.forced != 'auto':
            text += f', route={self.forced!r}'
        return text
