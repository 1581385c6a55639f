# python/sconv/_same.py: 'same' padding as TensorFlow and ONNX compute it, from the input size
"""same_pads gives the exact (before, after) padding of one spatial axis: the output has
ceil(size / stride) elements and the odd pixel goes after (TF 'same', ONNX SAME_UPPER) or
before (ONNX SAME_LOWER)."""
from ._errors import invalid


def same_pads(size, k, stride, dilation, lower=False):
    """(before, after) padding of an axis of `size` pixels for a kernel of k taps."""
    if size < 1 or k < 1 or stride < 1 or dilation < 1:
        raise invalid(f"same padding: size {size}, kernel {k}, stride {stride}, dilation "
                      f"{dilation}: all must be >= 1")
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    small, big = total // 2, total - total // 2
    return (big, small) if lower else (small, big)


def same_pads_2d(size_hw, kernel_hw, stride_hw, dilation_hw, lower=False, what='same'):
    """(top, left, bottom, right) for 'same' padding; the size may be None when every
    stride is 1 (the padding then does not depend on it)."""
    pads = []
    for axis in range(2):
        size = None if size_hw is None else size_hw[axis]
        if size is None:
            if stride_hw[axis] != 1:
                raise invalid(f"{what}: 'same' padding with stride {stride_hw[axis]} depends "
                              'on the input size, which is unknown: give the input size')
            size = (kernel_hw[axis] - 1) * dilation_hw[axis] + 1  # any size gives the same
        pads.append(same_pads(int(size), kernel_hw[axis], stride_hw[axis],
                              dilation_hw[axis], lower))
    return pads[0][0], pads[1][0], pads[0][1], pads[1][1]
