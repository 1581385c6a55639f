# python/sconv/torch/_module.py: SparseConv2d, the nn.Module that runs one fused conv on sconv
"""SparseConv2d holds an sconv.Layer (BatchNorm already folded in) and the sconv.Conv2d
that runs it with the fused activation; it pickles and deep-copies its Layer (which copies
through the .sconv format) and plans a new Conv2d for the copy. SparseConvAdd is the same
conv with a residual add (and the activation after it) fused: conv(x) + r."""
import torch
import torch.nn.functional as F

from .._conv import Conv2d
from .._errors import Error


class PlannedModule(torch.nn.Module):
    """A module whose `op` is an sconv.Conv2d planned from its `layer`, `act`, `threads` and
    `engine`: pickles and deep copies carry the Layer and plan a new operator."""

    def __getstate__(self):
        state = self.__dict__.copy()
        del state['op']  # planned operators hold C pointers: the copy makes its own
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self.op = Conv2d(self.layer, act=self.act, threads=self.threads, engine=self.engine)


class SparseConv2d(PlannedModule):
    """y = act(conv2d(pad(x), W) + b) on sconv, for inference (no autograd).

    layer: the sconv.Layer (weights with BatchNorm folded); act: None, 'relu', 'relu6' or
    ('clamp', lo, hi); pad: None, or (mode, (left, right, top, bottom)) for a padding mode
    other than zeros, applied with torch's F.pad before the conv. source and bn name the
    modules it replaces. The output has the input's memory format."""

    def __init__(self, layer, act=None, pad=None, threads=0, engine='auto', source='',
                 bn=None):
        super().__init__()
        self.layer = layer
        self.act, self.pad = act, pad
        self.threads, self.engine = threads, engine
        self.source, self.bn = source, bn
        self.op = Conv2d(layer, act=act, threads=threads, engine=engine)

    def forward(self, x):
        if x.dim() == 3:  # unbatched (C, H, W), as nn.Conv2d accepts
            return self.forward(x.unsqueeze(0)).squeeze(0)
        if self.pad is not None:
            x = F.pad(x, self.pad[1], mode=self.pad[0])
        return self.op(x)

    def extra_repr(self):
        oc, icg, kh, kw = self.layer.shape
        text = (f'{self.source!r}: {oc}x{icg}x{kh}x{kw}, stride={self.layer.stride}, '
                f'padding={self.layer.padding}, groups={self.layer.groups}, '
                f'sparsity={self.layer.sparsity:.3f}')
        if self.bn is not None:
            text += f', bn={self.bn!r} folded'
        if self.act is not None:
            text += f', act={self.act!r}'
        if self.pad is not None:
            text += f', pad={self.pad[0]!r}'
        return text


def _act_torch(y, act):
    """The activation of an sconv act on a torch tensor (NaN kept, like the C epilogue)."""
    if act is None:
        return y
    if act == 'relu':
        return torch.relu(y)
    lo, hi = (0.0, 6.0) if act == 'relu6' else (act[1], act[2])
    return torch.clamp(y, lo, hi)


def _storage_ptr(t):
    """The address of the memory t views (torch before 2.0 has no untyped_storage)."""
    return (t.untyped_storage() if hasattr(t, 'untyped_storage') else t.storage()).data_ptr()


class SparseConvAdd(SparseConv2d):
    """y = act(conv2d(pad(x), W) + b + r) on sconv: a residual add and the activation after
    it run in the conv's epilogue (sconv.Conv2d with accumulate=True).

    inplace: the graph lets the sum overwrite r (r is made inside the graph and nothing
    reads it after the add); r is then written when, at run time, it is a float32 CPU
    tensor of the conv's output shape, dense in its memory format, not a view and not
    sharing x's memory. Otherwise the sum goes into a copy of r. A residual that torch would
    broadcast or promote (another shape or dtype) takes torch's own add."""

    def __init__(self, layer, act=None, pad=None, threads=0, engine='auto', source='',
                 bn=None, inplace=False):
        super().__init__(layer, act=act, pad=pad, threads=threads, engine=engine,
                         source=source, bn=bn)
        self.inplace = inplace
        self._hw = {}  # input (h, w) -> output (h, w)
        self._plain = None  # the conv without activation, for torch's add (made when needed)

    def _out_hw(self, h, w):
        """The conv's output (h, w) for an input (h, w), by the library's rule (None when
        the input is too small), cached per input size."""
        if (h, w) not in self._hw:
            try:
                self._hw[(h, w)] = self.op._output_hw(h, w)
            except Error:
                self._hw[(h, w)] = None
        return self._hw[(h, w)]

    def _fits(self, x, r):
        """Whether r can take the sum in place of torch's add: float32 on the CPU, the
        conv's output shape, no autograd."""
        if x.dim() != 4 or r.dim() != 4 or r.dtype != torch.float32 or r.device.type != 'cpu':
            return False
        if r.requires_grad or r.shape[0] != x.shape[0] or r.shape[1] != self.layer.shape[0]:
            return False
        return tuple(r.shape[2:]) == self._out_hw(x.shape[2], x.shape[3])

    def forward(self, x, r):
        if self.pad is not None:
            x = F.pad(x, self.pad[1], mode=self.pad[0])
        if not self._fits(x, r):
            if self._plain is None:
                self._plain = Conv2d(self.layer, threads=self.threads, engine=self.engine)
            if x.dim() == 3:
                y = self._plain(x.unsqueeze(0)).squeeze(0)
            else:
                y = self._plain(x)
            return _act_torch(y + r, self.act)
        own = (self.inplace and r._base is None
               and (r.is_contiguous() or r.is_contiguous(memory_format=torch.channels_last))
               and _storage_ptr(r) != _storage_ptr(x))
        if not own:
            r = r.clone(memory_format=torch.preserve_format)
        return self.op(x, out=r, accumulate=True)

    def __getstate__(self):
        state = super().__getstate__()
        state['_plain'] = None
        return state

    def extra_repr(self):
        return super().extra_repr() + f', residual add fused{" in place" if self.inplace else ""}'
