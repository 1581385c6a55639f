# python/sconv/torch/_pool_separable.py: NCHW max-pool as rows then columns, no layout copy
"""The rows go through torch's 1-D max-pool (the pooled axis W is innermost in NCHW), then
the columns through torch's 2-D channels_last pool over a view that makes the row pool's
output width the channel axis (kernel (kh, 1)): no input is copied to another layout. Both
kernels keep a value when `val > max or isnan(val)` scanning in order from -inf, as the 2-D
NCHW kernel does in row-major window order; a row-major scan equals rows first then the
row results in order (the last NaN and otherwise the first maximum win either way), so the
bits are torch.max_pool2d's, signed zeros and NaN payloads included."""
import torch


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def separable_max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode):
    """torch.max_pool2d(x, ...) for a contiguous 4-D NCHW x; stride None is the kernel size.
    Returns a contiguous tensor (any strides on extents of 1)."""
    kh, kw = _pair(kernel_size)
    sh, sw = (kh, kw) if stride is None or stride == () else _pair(stride)
    ph, pw = _pair(padding)
    dh, dw = _pair(dilation)
    n, c, h, w = x.shape
    rows = torch.max_pool1d(x.view(n, c * h, w), kw, sw, pw, dw, ceil_mode)
    ow = rows.shape[-1]
    # (n*c, ow, h, 1) with ow innermost: channels_last-contiguous (strides as torch's own)
    cols = rows.as_strided((n * c, ow, h, 1), (h * ow, 1, ow, ow))
    y = torch.max_pool2d(cols, (kh, 1), (sh, 1), (ph, 0), (dh, 1), ceil_mode)
    y = y.squeeze(3).transpose(1, 2)  # (n*c, oh, ow), contiguous when torch kept channels_last
    return y.reshape(n, c, y.shape[1], ow).contiguous()
