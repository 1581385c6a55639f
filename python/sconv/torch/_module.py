# python/sconv/torch/_module.py: SparseConv2d, the nn.Module that runs one fused conv on sconv
"""SparseConv2d holds an sconv.Layer (BatchNorm already folded in) and the sconv.Conv2d
that runs it with the fused activation; it pickles and deep-copies its Layer (which copies
through the .sconv format) and plans a new Conv2d for the copy."""
import torch
import torch.nn.functional as F

from .._conv import Conv2d


class SparseConv2d(torch.nn.Module):
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

    def __getstate__(self):
        state = self.__dict__.copy()
        del state['op']  # planned operators hold C pointers: the copy makes its own
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self.op = Conv2d(self.layer, act=self.act, threads=self.threads, engine=self.engine)

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
