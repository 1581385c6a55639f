# python/sconv/_arrays.py: NumPy arrays and torch tensors seen as pointers, extents and strides
"""Zero-copy access to activations: a data pointer and strides in elements, read from
__array_interface__ (NumPy) or data_ptr()/stride() (torch). torch is never imported here:
an object is a tensor only when the program has imported torch itself."""
import sys

import numpy as np

from ._errors import EINVAL, EUNSUPPORTED, InvalidArgumentError, UnsupportedError, invalid

F32 = np.dtype(np.float32)


class InvalidTypeError(InvalidArgumentError, TypeError):
    """SC_EINVAL for an object of the wrong type or dtype."""


def torch_of(x):
    """The torch module when x is a torch.Tensor, else None."""
    torch = sys.modules.get('torch')
    if torch is not None and isinstance(x, torch.Tensor):
        return torch
    return None


def describe(x, what, write):
    """(torch module or None, data pointer, shape, strides in elements) of a 4-D float32
    CPU array; write=True also requires a writeable one."""
    if type(x) is np.ndarray or isinstance(x, np.ndarray):
        if x.dtype != F32:
            raise InvalidTypeError(EINVAL, f'{what}: dtype {x.dtype}: sconv computes in float32 '
                                   '(native byte order); convert with .astype(numpy.float32)')
        if x.ndim != 4:
            raise invalid(f'{what}: {x.ndim}-D array of shape {x.shape}: expected 4-D')
        st = x.strides
        if st[0] < 0 or st[1] < 0 or st[2] < 0 or st[3] < 0:
            raise invalid(f'{what}: strides {st} in bytes: a reversed view has a negative '
                          'stride, which sconv descriptors cannot express; copy it with '
                          'numpy.ascontiguousarray')
        if st[0] % 4 or st[1] % 4 or st[2] % 4 or st[3] % 4:
            raise invalid(f'{what}: strides {st} in bytes are not whole float32 elements')
        ptr = x.__array_interface__['data'][0]
        if ptr % 4:
            raise invalid(f'{what}: data at {ptr:#x} is not aligned to 4 bytes')
        if write and not x.flags.writeable:
            raise invalid(f'{what}: the array is read-only')
        return None, ptr, x.shape, (st[0] >> 2, st[1] >> 2, st[2] >> 2, st[3] >> 2)
    torch = torch_of(x)
    if torch is None:
        raise InvalidTypeError(EINVAL, f'{what}: {type(x).__module__}.{type(x).__qualname__}: '
                               'expected a numpy.ndarray or a torch.Tensor')
    dev = x.device
    if dev.type != 'cpu':
        raise UnsupportedError(EUNSUPPORTED, f'{what}: tensor on device {dev}: sconv runs on '
                               'CPU tensors; move it with .cpu()')
    if x.layout != torch.strided:
        raise invalid(f'{what}: tensor layout {x.layout}: expected torch.strided')
    if x.dtype != torch.float32:
        raise InvalidTypeError(EINVAL, f'{what}: dtype {x.dtype}: sconv computes in '
                               'torch.float32; convert with .float()')
    if x.dim() != 4:
        raise invalid(f'{what}: {x.dim()}-D tensor of shape {tuple(x.shape)}: expected 4-D')
    if write and x.requires_grad:
        raise invalid(f'{what}: the tensor requires grad; sconv writes it without autograd')
    return torch, x.data_ptr(), tuple(x.shape), tuple(x.stride())


def _dense(dims, strides, order):
    """True when the view is a dense array with axes nested in `order` (outer first);
    extents of 1 may have any stride, as in NumPy's and torch's contiguity rules."""
    expected = 1
    for ax in reversed(order):
        if dims[ax] != 1 and strides[ax] != expected:
            return False
        expected *= dims[ax]
    return True


NCHW_AXES = (0, 1, 2, 3)
NHWC_AXES = (0, 2, 3, 1)


def memory_axes(dims, strides):
    """Descriptor axes (outer first) of a new output matching an input's memory format:
    NCHW or NHWC when the input is dense in one of them, otherwise NHWC when its channel
    stride is below its width stride."""
    if _dense(dims, strides, NCHW_AXES):
        return NCHW_AXES
    if _dense(dims, strides, NHWC_AXES):
        return NHWC_AXES
    return NHWC_AXES if strides[1] < strides[3] else NCHW_AXES
