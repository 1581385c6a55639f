# python/sconv/_prune.py: magnitude pruning: keep-masks and pruned Layers (docs/pruning.md)
"""mask() and mask_global() return bool keep-masks from the library's pruning methods;
prune() packs the kept weights into a Layer."""
import ctypes

import numpy as np

from . import _lib
from ._arrays import InvalidTypeError
from ._errors import EINVAL, check, invalid
from ._layer import Layer, enum_parse, float_array, int64, wdesc

_NM, _THRESHOLD = 4, 6  # the methods that take no amount (sc_prune_method)


def _spec(sparsity, method, convention, count, threshold, order, groups):
    """An sc_prune_spec from keyword arguments."""
    spec = _lib.sc_prune_spec_default()
    if not isinstance(method, str):
        raise InvalidTypeError(EINVAL, f'method: {method!r}: expected a string')
    check(_lib.sc_prune_spec_parse(method.encode(), ctypes.byref(spec)))
    spec.convention = enum_parse(_lib.sc_prune_convention_parse, convention, 'convention')
    spec.order = enum_parse(_lib.sc_pack_order_parse, order, 'order')
    spec.groups = int64(groups, 'groups')
    if threshold is not None:
        spec.threshold = float(threshold)
    if count is not None:
        spec.count = int64(count, 'count')
    elif sparsity is not None:
        spec.amount = float(sparsity)
    elif spec.method not in (_NM, _THRESHOLD):
        raise invalid(f"prune: method '{method}' needs sparsity= (a fraction in [0, 1]) "
                      'or count=')
    return spec


def _describe(spec):
    """The spec's parameters as the file records them ('' when too long, as the CLI does)."""
    buf = ctypes.create_string_buffer(256)  # SC_METHOD_MAX
    if _lib.sc_prune_spec_describe(ctypes.byref(spec), buf, len(buf)) != 0:
        return ''
    return buf.value.decode()


def mask(w, layout='oihw', sparsity=None, method='l1', convention='torch', *, count=None,
         threshold=None, order='chw', groups=1):
    """The keep-mask (bool, True keeps) of weights w in layout: method 'l1', 'per-filter',
    'block:RxC[:score]', 'nm:N:M', 'filter[:l1|l2]' or 'threshold'; sparsity is the
    fraction removed, convention 'torch' or 'tfmot' turns it into a count."""
    w = float_array(w, 'weights')
    wd = wdesc(w, layout)
    spec = _spec(sparsity, method, convention, count, threshold, order, groups)
    m = np.empty(w.shape, np.uint8)
    check(_lib.sc_prune_mask(ctypes.byref(spec), ctypes.byref(wd), w.ctypes.data,
                             m.ctypes.data))
    return m != 0


def mask_global(weights, sparsity=None, layouts='oihw', method='global', convention='torch',
                *, count=None, threshold=None):
    """Keep-masks for several layers ranked together ('global', 'l1' or 'threshold'):
    sparsity is the fraction removed over all their weights. layouts is one name for all
    or one per layer. Returns a list of bool masks."""
    ws = [float_array(w, f'weights[{i}]') for i, w in enumerate(weights)]
    if isinstance(layouts, str):
        layouts = [layouts] * len(ws)
    layouts = list(layouts)
    if len(layouts) != len(ws):
        raise invalid(f'layouts: {len(layouts)} names for {len(ws)} weight arrays')
    if not ws:
        return []
    wds = [wdesc(w, lay) for w, lay in zip(ws, layouts)]
    spec = _spec(sparsity, method, convention, count, threshold, 'chw', 1)
    masks = [np.empty(w.shape, np.uint8) for w in ws]
    n = len(ws)
    check(_lib.sc_prune_mask_global(
        ctypes.byref(spec), n,
        (ctypes.POINTER(_lib.WDesc) * n)(*[ctypes.pointer(wd) for wd in wds]),
        (ctypes.c_void_p * n)(*[w.ctypes.data for w in ws]),
        (ctypes.c_void_p * n)(*[m.ctypes.data for m in masks])))
    return [m != 0 for m in masks]


def prune(w, layout='oihw', sparsity=None, method='l1', convention='torch', *, count=None,
          threshold=None, order='chw', groups=1, **layer_args):
    """Prune weights w (see mask()) and pack them: a Layer whose file records the method.
    layer_args go to Layer (stride, padding, dilation, bias, name)."""
    w = float_array(w, 'weights')
    spec = _spec(sparsity, method, convention, count, threshold, order, groups)
    keep = mask(w, layout, sparsity, method, convention, count=count, threshold=threshold,
                order=order, groups=groups)
    return Layer(w, keep, layout=layout, order=order, groups=groups,
                 method=_lib.sc_prune_method_name(spec.method).decode(),
                 method_params=_describe(spec), **layer_args)
