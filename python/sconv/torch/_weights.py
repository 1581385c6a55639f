# python/sconv/torch/_weights.py: effective weights and keep-masks, and BatchNorm folding
"""Reads nn.Conv2d / nn.BatchNorm2d parameters in float64, resolving the reparametrization
of torch.nn.utils.prune (name_orig * name_mask), and folds eval-mode BatchNorm into a conv."""
import numpy as np


def effective(module, name):
    """(values, keep) of parameter `name` as float64 NumPy arrays: under
    torch.nn.utils.prune, values are name_orig with the masked positions set to 0 and keep
    the mask as bool (the mask decides, whatever name_orig holds there); otherwise the
    parameter itself and keep None. (None, None) for an absent parameter."""
    orig = module._parameters.get(name + '_orig')
    mask = module._buffers.get(name + '_mask')
    if orig is not None and mask is not None:
        keep = mask.detach().cpu().numpy() != 0
        return np.where(keep, orig.detach().cpu().double().numpy(), 0.0), keep
    p = getattr(module, name, None)
    if p is None:
        return None, None
    return p.detach().cpu().double().numpy(), None


def effective_4d(module):
    """effective(module, 'weight') with an nn.Linear's (out, in) seen as (out, in, 1, 1)."""
    w, keep = effective(module, 'weight')
    if w.ndim != 2:
        return w, keep
    return w[:, :, None, None], None if keep is None else keep[:, :, None, None]


def bn_affine(bn):
    """(scale, shift) with bn(y) = scale[c] * y + shift[c] in eval mode, float64."""
    mean = bn.running_mean.detach().cpu().double().numpy()
    var = bn.running_var.detach().cpu().double().numpy()
    scale = 1.0 / np.sqrt(var + bn.eps)
    shift = -mean * scale
    if bn.affine:
        gamma, _ = effective(bn, 'weight')
        beta, _ = effective(bn, 'bias')
        scale, shift = scale * gamma, shift * gamma + beta
    return scale, shift


def fold(w, bias, bn):
    """Weights (oc, icg, kh, kw) and bias (oc or None) of conv followed by bn, float64.
    Scaling each output channel keeps every zero weight zero."""
    if bn is None:
        return w, bias
    scale, shift = bn_affine(bn)
    b = shift if bias is None else bias * scale + shift
    return w * scale[:, None, None, None], b
