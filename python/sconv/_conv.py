# python/sconv/_conv.py: sconv.Conv2d, the sparse operator callable on arrays and tensors
"""Conv2d(layer, ...)(x) runs sc_conv_run on x's memory in place (pointer and strides),
planning once per input geometry: each geometry keeps its own planned sc_conv, so
alternating shapes never re-plan. Accumulating calls (out += conv) plan their own sc_conv,
created with options.accumulate = 1."""
import ctypes
import threading

import numpy as np

from . import _lib
from ._arrays import F32, NCHW_AXES, NHWC_AXES, InvalidTypeError, describe, memory_axes
from ._errors import EINVAL, check, invalid
from ._layer import Layer, float_array, int64

_ENGINES = {'auto': 0, 'sparse': 1, 'dense': 2}
_KERNELS = {'auto': 0, 'portable': 1, 'avx2': 2, 'avx512': 3}
_AUTO_MODES = {'measure': 0, 'rule': 1}
_ACTS = {None: 0, 'none': 0, 'relu': 1, 'relu6': 2}
_LAYOUTS = {'nchw': NCHW_AXES, 'nhwc': NHWC_AXES}
_PLANS_MAX = 16  # geometries kept per operator; the oldest goes first
_run = _lib.sc_conv_run


def _choose(table, value, what):
    try:
        return table[value]
    except (KeyError, TypeError):
        names = ', '.join(repr(k) for k in table if k is not None)
        raise invalid(f'{what}: {value!r}: expected one of {names}') from None


def _activation(act):
    """None, 'relu', 'relu6' or ('clamp', lo, hi)."""
    a = _lib.Activation()
    if isinstance(act, (tuple, list)) and len(act) == 3 and act[0] == 'clamp':
        a.kind, a.lo, a.hi = 3, float(act[1]), float(act[2])
    else:
        a.kind = _choose(_ACTS, act, 'act')
    check(_lib.sc_activation_check(ctypes.byref(a)))
    return a


class _Plan:
    """One planned sc_conv, and how to allocate its output in the caller's axis order."""
    __slots__ = ('op', 'alloc_shape', 'perm', '__weakref__')

    def __init__(self, op, alloc_shape, perm):
        self.op, self.alloc_shape, self.perm = op, alloc_shape, perm

    def __del__(self):
        if self.op and _lib is not None:
            _lib.sc_conv_destroy(self.op)
            self.op = None


def _tensor(shape, strides, axes):
    """The sc_tensor of an array whose axes are the descriptor axes `axes` (n, c, h, w)."""
    t = _lib.Tensor()
    for i, ax in enumerate(axes):
        t.dims[ax] = shape[i]
        t.strides[ax] = strides[i]
    return t


class Conv2d:
    """y = act(conv2d(x, layer) + bias) on sconv; conv(x, out=y, accumulate=True) gives
    y = act(conv2d(x, layer) + bias + y).

    Conv2d(layer, act=None, bias=None, threads=0, engine='auto', kernel='auto',
           auto_mode='rule', layout='nchw')
    act: None, 'relu', 'relu6' or ('clamp', lo, hi); bias: oc values replacing the layer's;
    threads: OpenMP threads (0: the OpenMP default); engine: 'auto', 'sparse' or 'dense';
    layout: the axis order of the arrays passed and returned, 'nchw' (PyTorch) or 'nhwc'
    (TensorFlow); their memory may have any non-negative strides. The layer must stay
    alive as long as the operator, which keeps a reference to it."""

    def __init__(self, layer, act=None, bias=None, threads=0, engine='auto', kernel='auto',
                 auto_mode='rule', layout='nchw'):
        if not isinstance(layer, Layer):
            raise InvalidTypeError(EINVAL, f'layer: {type(layer).__name__}: expected '
                                   'sconv.Layer')
        self._layer = layer  # the operators borrow its packed arrays
        opt = _lib.sc_conv_options_default()
        opt.act = _activation(act)
        self._bias = None
        if bias is not None:
            b = float_array(bias, 'bias').reshape(-1)
            oc = layer.shape[0]
            if b.shape[0] != oc:
                raise invalid(f'bias: {b.shape[0]} values for {oc} output channels')
            self._bias = b
            opt.bias = b.ctypes.data
        threads = int64(threads, 'threads')
        if not 0 <= threads <= 1 << 30:
            raise invalid(f'threads: {threads}: expected 0 (the OpenMP default) or a count')
        opt.threads = threads
        opt.engine = _choose(_ENGINES, engine, 'engine')
        opt.kernel = _choose(_KERNELS, kernel, 'kernel')
        opt.auto_mode = _choose(_AUTO_MODES, auto_mode, 'auto_mode')
        self._axes = _choose(_LAYOUTS, layout, 'layout')
        self._opt = opt
        self._plans = {}
        self._last = None
        self._lock = threading.Lock()
        self._new_op()  # the options are checked now, not at the first call

    layer = property(lambda self: self._layer)

    def _new_op(self, accumulate=False):
        opt = self._opt
        if accumulate:  # the same options, adding into y (sc_conv_options.accumulate)
            opt = _lib.ConvOptions.from_buffer_copy(opt)
            opt.accumulate = 1
        op = ctypes.c_void_p()
        check(_lib.sc_conv_create(self._layer._ptr, ctypes.byref(opt), ctypes.byref(op)))
        return _Plan(op.value, None, None)

    def _output_hw(self, h, w):
        """The output (h, w) for an input (h, w) (sc_conv_output_hw); raises when it has
        none."""
        _, _, kh, kw = self._layer.shape
        p = self._layer._info().params
        oh, ow = ctypes.c_int64(), ctypes.c_int64()
        check(_lib.sc_conv_output_hw(ctypes.byref(p), kh, kw, h, w, ctypes.byref(oh),
                                     ctypes.byref(ow)))
        return oh.value, ow.value

    def _plan(self, key, xshape, xstrides, yshape, ystrides, accumulate=False):
        """Plan x (and y when out= is given) in the caller's axes, adding into y with
        accumulate; cache it under key."""
        axes = self._axes
        xd = _tensor(xshape, xstrides, axes)
        oc = self._layer.shape[0]
        oh, ow = self._output_hw(xd.dims[2], xd.dims[3])
        dims = (xd.dims[0], oc, oh, ow)
        plan = self._new_op(accumulate)
        if ystrides is None:
            mem = memory_axes(tuple(xd.dims), tuple(xd.strides))
            strides = [0] * 4
            step = 1
            for ax in reversed(mem):
                strides[ax] = step
                step *= dims[ax]
            yd = _lib.Tensor((ctypes.c_int64 * 4)(*dims), (ctypes.c_int64 * 4)(*strides))
            plan.alloc_shape = tuple(dims[ax] for ax in mem)
            perm = tuple(mem.index(ax) for ax in axes)
            plan.perm = None if perm == (0, 1, 2, 3) else perm
        else:
            expected = tuple(dims[ax] for ax in axes)
            if tuple(yshape) != expected:
                raise invalid(f'out: shape {tuple(yshape)}, but the output of x {tuple(xshape)} '
                              f'is {expected}')
            yd = _tensor(yshape, ystrides, axes)
        check(_lib.sc_conv_plan(plan.op, ctypes.byref(xd), ctypes.byref(yd)))
        with self._lock:
            if len(self._plans) >= _PLANS_MAX:
                self._plans.pop(next(iter(self._plans)))
            self._plans[key] = plan
        return plan

    def __call__(self, x, out=None, accumulate=False):
        """conv(x) as a new array (NumPy for NumPy, torch for torch) in x's memory format,
        or written into out (any strides that do not overlap) and returned. accumulate=True
        adds into out instead: out = act(conv(x) + bias + out), out's old values (a residual)
        added before the activation; out is then required."""
        tx, xp, xshape, xstrides = describe(x, 'x', False)
        if accumulate is not False:
            if accumulate is not True and accumulate not in (0, 1):
                raise invalid(f'accumulate: {accumulate!r}: expected True or False')
            accumulate = bool(accumulate)
        if accumulate:
            if out is None:
                raise invalid('accumulate=True adds into out: pass the residual as out=')
            _, yp, yshape, ystrides = describe(out, 'out', True)
            key = (xshape, xstrides, yshape, ystrides, True)
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plan(key, xshape, xstrides, yshape, ystrides, True)
            y = out
        elif out is None:
            key = (xshape, xstrides)
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plan(key, xshape, xstrides, None, None)
            if tx is None:
                y = np.empty(plan.alloc_shape, F32)
                yp = y.__array_interface__['data'][0]
                if plan.perm is not None:
                    y = y.transpose(plan.perm)
            else:
                y = tx.empty(plan.alloc_shape, dtype=tx.float32)
                yp = y.data_ptr()
                if plan.perm is not None:
                    y = y.permute(plan.perm)
        else:
            _, yp, yshape, ystrides = describe(out, 'out', True)
            key = (xshape, xstrides, yshape, ystrides)
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plan(key, xshape, xstrides, yshape, ystrides)
            y = out
        self._last = plan
        st = _run(plan.op, xp, yp)
        if st:
            check(st)
        return y

    def describe(self):
        """What the plan of the last call chose: engine, kernel, reason (None before it)."""
        plan = self._last
        if plan is None:
            return None
        c = _lib.ConvChoice()
        check(_lib.sc_conv_describe(plan.op, ctypes.byref(c)))
        return {'engine': {1: 'sparse', 2: 'dense'}.get(c.engine, 'auto'),
                'kernel': (c.kernel or b'').decode(), 'reason': (c.reason or b'').decode(),
                'sparsity': c.sparsity, 'threshold': c.threshold}

    def __repr__(self):
        return f'<sconv.Conv2d {self._layer!r}>'
