# python/sconv/_layer.py: sconv.Layer (packed pruned weights) and .sconv files
"""A Layer owns one sc_layer; it is built from dense weights (and a mask), by prune(), or
read from a .sconv file, and gives its dense weights back."""
import ctypes
import os
import tempfile

import numpy as np

from . import _lib
from ._arrays import F32, InvalidTypeError, torch_of
from ._errors import EINVAL, check, invalid

_INT64 = (-(1 << 63), (1 << 63) - 1)


def enum_parse(fn, text, what):
    """Parse a layout/order/convention name with the library's parser."""
    if not isinstance(text, str):
        raise InvalidTypeError(EINVAL, f'{what}: {text!r}: expected a string')
    out = _lib.c_enum()
    check(fn(text.encode(), ctypes.byref(out)))
    return out.value


def int64(v, what):
    """v as a Python int in int64 range (ctypes would silently wrap larger ones)."""
    try:
        i = v.__index__()
    except (AttributeError, TypeError):
        raise InvalidTypeError(EINVAL, f'{what}: {v!r}: expected an integer') from None
    if not _INT64[0] <= i <= _INT64[1]:
        raise invalid(f'{what}: {i} does not fit int64')
    return i


def pair(v, what):
    """An int or a pair of ints as (h, w)."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise invalid(f'{what}: {v!r}: expected an int or (h, w)')
        return int64(v[0], what), int64(v[1], what)
    i = int64(v, what)
    return i, i


def padding4(v):
    """An int, (h, w) or (top, left, bottom, right)."""
    if isinstance(v, (tuple, list)) and len(v) == 4:
        return tuple(int64(p, 'padding') for p in v)
    if isinstance(v, str):
        raise invalid(f"padding: {v!r}: expected an int, (h, w) or (top, left, bottom, right)")
    ph, pw = pair(v, 'padding')
    return ph, pw, ph, pw


def float_array(a, what):
    """A C-ordered float32 NumPy copy (or view) of weights given as an array or tensor."""
    if torch_of(a) is not None:
        a = a.detach().cpu().numpy()
    a = np.asarray(a)
    if a.dtype.kind not in 'fiu':
        raise InvalidTypeError(EINVAL, f'{what}: dtype {a.dtype}: expected real numbers')
    return np.ascontiguousarray(a, dtype=F32)


def wdesc(w, layout):
    """The weight descriptor of a 4-D array in a named layout."""
    code = enum_parse(_lib.sc_wlayout_parse, layout, 'layout')
    if w.ndim != 4:
        raise invalid(f'weights: {w.ndim}-D array of shape {w.shape}: expected 4-D ({layout})')
    wd = _lib.WDesc()
    check(_lib.sc_wdesc_from_shape(code, (ctypes.c_int64 * 4)(*w.shape), ctypes.byref(wd)))
    return wd


def mask_array(mask, shape):
    """A uint8 keep-mask (nonzero keeps) of the weights' shape."""
    if torch_of(mask) is not None:
        mask = mask.detach().cpu().numpy()
    m = np.asarray(mask)
    if m.shape != tuple(shape):
        raise invalid(f'mask: shape {m.shape} differs from the weights {tuple(shape)}')
    return np.ascontiguousarray(m != 0, dtype=np.uint8)


def _text(b):
    return b.decode('utf-8', 'replace') if b else ''


class Layer:
    """Pruned convolution weights packed as CSR (an sc_layer).

    Layer(weights, mask=None, layout='oihw', stride=1, padding=0, dilation=1, groups=1,
          bias=None, name='layer', order='chw') packs dense weights in layout 'oihw'
    (PyTorch, ONNX), 'ohwi' or 'hwio' (Keras), keeping the nonzeros where mask is nonzero
    (all nonzeros without a mask). padding is an int, (h, w) or (top, left, bottom, right);
    order 'chw' or 'hwc' is the packed reduction order (docs/layouts.md)."""

    def __init__(self, weights, mask=None, *, layout='oihw', stride=1, padding=0, dilation=1,
                 groups=1, bias=None, name='layer', order='chw', method=None,
                 method_params=None):
        self._ptr = None
        w = float_array(weights, 'weights')
        wd = wdesc(w, layout)
        m = None if mask is None else mask_array(mask, w.shape)
        opt = _lib.sc_pack_options_default()
        opt.name = str(name).encode()
        p = opt.params
        p.stride_h, p.stride_w = pair(stride, 'stride')
        p.pad_top, p.pad_left, p.pad_bottom, p.pad_right = padding4(padding)
        p.dil_h, p.dil_w = pair(dilation, 'dilation')
        p.groups = int64(groups, 'groups')
        opt.order = enum_parse(_lib.sc_pack_order_parse, order, 'order')
        b = None
        if bias is not None:
            b = float_array(bias, 'bias').reshape(-1)
            if b.shape[0] != wd.oc:
                raise invalid(f'bias: {b.shape[0]} values for {wd.oc} output channels')
            opt.bias = b.ctypes.data
        opt.method = method.encode() if method else None
        opt.method_params = method_params.encode() if method_params else None
        out = _lib.layer_p()
        check(_lib.sc_layer_pack(ctypes.byref(wd), w.ctypes.data,
                                 None if m is None else m.ctypes.data, ctypes.byref(opt),
                                 ctypes.byref(out)))
        self._ptr = out.value

    @classmethod
    def _adopt(cls, ptr):
        """A Layer owning an sc_layer the library made."""
        layer = cls.__new__(cls)
        layer._ptr = ptr
        return layer

    def __del__(self):
        ptr, self._ptr = getattr(self, '_ptr', None), None
        if ptr and _lib is not None:
            _lib.sc_layer_destroy(ptr)

    def _info(self):
        info = _lib.LayerInfo()
        check(_lib.sc_layer_get_info(self._ptr, ctypes.byref(info)))
        return info

    name = property(lambda self: _text(self._info().name))
    layout = property(lambda self: _lib.sc_wlayout_name(self._info().wdesc.layout).decode(),
                      doc="the layout the weights were packed from ('oihw', 'ohwi', 'hwio')")
    order = property(lambda self: _lib.sc_pack_order_name(self._info().order).decode())
    kind = property(lambda self: _lib.sc_layer_kind_name(self._info().kind).decode())
    nnz = property(lambda self: self._info().nnz)
    sparsity = property(lambda self: self._info().sparsity, doc='1 - nnz / numel')
    method = property(lambda self: _text(self._info().method))
    method_params = property(lambda self: _text(self._info().method_params))
    groups = property(lambda self: self._info().params.groups)

    @property
    def shape(self):
        """(oc, icg, kh, kw): output channels, input channels per group, kernel."""
        wd = self._info().wdesc
        return wd.oc, wd.icg, wd.kh, wd.kw

    @property
    def stride(self):
        p = self._info().params
        return p.stride_h, p.stride_w

    @property
    def padding(self):
        """(top, left, bottom, right)."""
        p = self._info().params
        return p.pad_top, p.pad_left, p.pad_bottom, p.pad_right

    @property
    def dilation(self):
        p = self._info().params
        return p.dil_h, p.dil_w

    @property
    def bias(self):
        """A copy of the oc bias values, or None."""
        info = self._info()
        if not info.bias:
            return None
        return np.ctypeslib.as_array(info.bias, (info.wdesc.oc,)).copy()

    def weights(self, layout=None):
        """The dense pruned weights as a new float32 array in layout (default: the layout
        the layer was packed from); exact."""
        info = self._info()
        code = info.wdesc.layout if layout is None else enum_parse(
            _lib.sc_wlayout_parse, layout, 'layout')
        wd = _lib.WDesc(code, info.wdesc.oc, info.wdesc.icg, info.wdesc.kh, info.wdesc.kw)
        shape = (ctypes.c_int64 * 4)()
        _lib.sc_wdesc_shape(ctypes.byref(wd), shape)
        w = np.empty(tuple(shape), F32)
        check(_lib.sc_layer_unpack(self._ptr, code, w.ctypes.data))
        return w

    def mask(self, layout=None):
        """The stored positions as a bool array (in the layout of weights())."""
        return self.weights(layout) != 0

    def save(self, path):
        """Write this layer alone to a .sconv file."""
        save(path, [self])

    def __reduce__(self):
        # copy, deepcopy and pickle go through the file format: the copy owns its own
        # sc_layer (copying the pointer would free it twice) and keeps every field exactly
        return _from_file_bytes, (self._file_bytes(),)

    def _file_bytes(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'layer.sconv')
            self.save(path)
            with open(path, 'rb') as f:
                return f.read()

    def __repr__(self):
        return (f'<sconv.Layer {self.name!r} {self.kind} shape={self.shape} '
                f'stride={self.stride} padding={self.padding} dilation={self.dilation} '
                f'groups={self.groups} nnz={self.nnz} sparsity={self.sparsity:.4f}>')


def _path(path):
    return os.fsencode(path)


def save(path, layers):
    """Write layers (an iterable of Layer, distinct names) to a .sconv file, atomically."""
    if isinstance(layers, Layer):
        layers = [layers]
    layers = list(layers)
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise InvalidTypeError(EINVAL, f'layers[{i}]: {type(layer).__name__}: expected '
                                   'sconv.Layer')
    arr = (_lib.layer_p * len(layers))(*[layer._ptr for layer in layers])
    check(_lib.sc_file_write(_path(path), arr, len(layers)))


def load(path, name=None):
    """One layer of a .sconv file: the one called name, or the only one when name is
    None (a file of several layers then raises an error listing their names)."""
    out = _lib.layer_p()
    check(_lib.sc_layer_load(_path(path), None if name is None else str(name).encode(),
                             ctypes.byref(out)))
    return Layer._adopt(out.value)


def _from_file_bytes(data):
    """The Layer a one-layer .sconv file's bytes hold (how copies and pickles come back)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'layer.sconv')
        with open(path, 'wb') as f:
            f.write(data)
        return load(path)


def load_all(path):
    """Every layer of a .sconv file, as a dict name -> Layer in file order."""
    arr = ctypes.POINTER(_lib.layer_p)()
    n = ctypes.c_size_t()
    check(_lib.sc_file_read(_path(path), ctypes.byref(arr), ctypes.byref(n)))
    layers = [Layer._adopt(arr[i]) for i in range(n.value)]  # ownership moves to Python
    _lib.sc_layers_destroy(arr, 0)
    return {layer.name: layer for layer in layers}

