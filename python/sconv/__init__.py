# python/sconv/__init__.py: the sconv Python package: pruned convolution on CPUs (docs/python.md)
"""sconv: prune convolution weights, pack them (Layer), save/load .sconv files, and run
them on NumPy arrays and torch tensors (Conv2d), through the C library with ctypes."""
from . import _lib
from ._arrays import InvalidTypeError
from ._conv import Conv2d
from ._errors import (Error, FileIOError, FormatError, InvalidArgumentError, NumericError,
                      OutOfMemoryError, SizeOverflowError, StateError, UnsupportedError)
from ._layer import Layer, load, load_all, save
from ._prune import mask, mask_global, prune

__version__ = _lib.sc_version().decode()
library_path = _lib.lib._name

__all__ = ['Conv2d', 'Layer', 'prune', 'mask', 'mask_global', 'load', 'load_all', 'save',
           'Error', 'InvalidArgumentError', 'InvalidTypeError', 'OutOfMemoryError',
           'SizeOverflowError', 'UnsupportedError', 'StateError', 'FileIOError',
           'FormatError', 'NumericError']
