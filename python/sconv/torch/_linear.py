# python/sconv/torch/_linear.py: SparseLinear, an nn.Linear run on sconv as a 1x1 convolution
"""SparseLinear holds an sconv.Layer of shape (out, in, 1, 1) and the sconv.Conv2d that runs
it. The input's leading axes become pixels of a strided 4-D view (the features are the
channels) and the output is written through the same view of a new (..., out) tensor, so
no activation is copied: a (M, in) input is one image of M x 1 pixels (the rows share each
weight load), a (A, B, in) or (A, B, C, in) input whose leading axes do not flatten is A
images of B x 1 or B x C pixels. Inputs of more axes flatten through reshape (a copy when
their strides do not allow a view)."""
import torch

from .._conv import Conv2d
from .._errors import invalid
from ._module import PlannedModule


def _as_nchw(t):
    """The 4-D (n, features, h, w) view of a (..., features) tensor of at most 4 axes whose
    leading axes are n, h, w (1-D: one pixel; 2-D: its rows as the pixels of one column).
    An inserted axis of extent 1 gets the stride of the pixel axis beside it, so a dense
    (..., features) tensor reads as a dense channels-last one."""
    d = t.dim()
    st = t.stride()
    c = st[-1]
    if d == 1:
        return t.as_strided((1, t.shape[0], 1, 1), (0, c, 0, 0))
    if d == 2:
        return t.as_strided((1, t.shape[1], t.shape[0], 1), (0, c, st[0], st[0]))
    if d == 3:
        return t.as_strided((t.shape[0], t.shape[2], t.shape[1], 1), (st[0], c, st[1], st[1]))
    return t.movedim(3, 1)


class SparseLinear(PlannedModule):
    """y = act(x @ W.T + b) on sconv over the last axis of x, as nn.Linear, for inference (no
    autograd).

    layer: the sconv.Layer (out, in, 1, 1) with the bias; act: None, 'relu', 'relu6' or
    ('clamp', lo, hi); source names the nn.Linear it replaces. The output is a new
    contiguous float32 tensor of shape (..., out)."""

    def __init__(self, layer, act=None, threads=0, engine='auto', source=''):
        super().__init__()
        oc, ic, kh, kw = layer.shape
        if (kh, kw) != (1, 1) or layer.groups != 1:
            raise invalid(f'SparseLinear: layer {layer.name!r} of shape {layer.shape}, '
                          f'groups {layer.groups}: expected (out, in, 1, 1), 1 group')
        self.layer = layer
        self.in_features, self.out_features = ic, oc
        self.act, self.threads, self.engine, self.source = act, threads, engine, source
        self.op = Conv2d(layer, act=act, threads=threads, engine=engine)

    def forward(self, input):  # named as nn.Linear's, which it replaces
        x = input
        if not isinstance(x, torch.Tensor) or x.dim() == 0 or x.shape[-1] != self.in_features:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise invalid(f'SparseLinear {self.source!r}: input {shape}: expected (..., '
                          f'{self.in_features})')
        lead = tuple(x.shape[:-1])
        if x.dim() > 2:
            try:
                x = x.view(-1, self.in_features)
            except RuntimeError:  # leading axes that do not flatten without a copy
                if x.dim() > 4:
                    x = x.reshape(-1, self.in_features)
        y = torch.empty(lead + (self.out_features,), dtype=torch.float32)
        if y.numel() == 0 and x.dtype == torch.float32:
            return y  # no pixel: nothing to compute (the library refuses empty extents)
        self.op(_as_nchw(x), out=_as_nchw(y.view(x.shape[:-1] + (self.out_features,))))
        return y

    def extra_repr(self):
        text = (f'{self.source!r}: in_features={self.in_features}, '
                f'out_features={self.out_features}, bias={self.layer.bias is not None}, '
                f'sparsity={self.layer.sparsity:.3f}')
        if self.act is not None:
            text += f', act={self.act!r}'
        return text
