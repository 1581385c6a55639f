# python/sconv/_errors.py: exceptions carrying the library's status and message
"""Every failure raises sconv.Error or a subclass; each subclass also derives from the
builtin exception a Python user expects (ValueError, MemoryError, OSError, ...)."""
from . import _lib

OK, EINVAL, ENOMEM, EOVERFLOW, EUNSUPPORTED, ESTATE, EIO, EFORMAT, ENUMERIC = range(9)


class Error(Exception):
    """A failed sconv call: status (the C sc_status value), reason (sc_strerror's text)
    and detail (the library's message naming the values and the rule broken)."""

    def __init__(self, status, detail):
        self.status = status
        self.reason = _lib.sc_strerror(status).decode()
        self.detail = detail
        super().__init__(f'{self.reason}: {detail}')


class InvalidArgumentError(Error, ValueError):
    """SC_EINVAL: an argument breaks a documented rule."""


class OutOfMemoryError(Error, MemoryError):
    """SC_ENOMEM."""


class SizeOverflowError(Error, OverflowError):
    """SC_EOVERFLOW: a size product does not fit."""


class UnsupportedError(Error, NotImplementedError):
    """SC_EUNSUPPORTED: valid, but not supported by this build, CPU or device."""


class StateError(Error, RuntimeError):
    """SC_ESTATE: a lifecycle step called out of order."""


class FileIOError(Error, OSError):
    """SC_EIO: the system refused a read or write."""


class FormatError(Error, ValueError):
    """SC_EFORMAT: a malformed .sconv file."""


class NumericError(Error, ArithmeticError):
    """SC_ENUMERIC: NaN or Inf where finite values are required."""


_by_status = {EINVAL: InvalidArgumentError, ENOMEM: OutOfMemoryError,
              EOVERFLOW: SizeOverflowError, EUNSUPPORTED: UnsupportedError,
              ESTATE: StateError, EIO: FileIOError, EFORMAT: FormatError,
              ENUMERIC: NumericError}


def error(status, detail):
    """The exception for a status and a message."""
    return _by_status.get(status, Error)(status, detail)


def check(status):
    """Raise the library's last message on this thread when status is not SC_OK."""
    if status != OK:
        raise error(status, _lib.sc_last_message().decode('utf-8', 'replace'))


def invalid(detail):
    """An argument error found on the Python side, in the library's words."""
    return InvalidArgumentError(EINVAL, detail)
