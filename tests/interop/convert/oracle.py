# tests/interop/convert/oracle.py: float64 convolution in NumPy, and the tolerance check
"""conv_ref gives the exact-in-double result and the bound sum |w||x| + |b| that scales
the float32 tolerance: |y - ref| <= 4 k eps32 bound, k the terms per output."""
import numpy as np

EPS32 = float(np.finfo(np.float32).eps)


def conv_ref(x, w, bias, stride, pads, dilation, groups):
    """(y, bound) for NCHW x and OIHW w in float64; pads (top, left, bottom, right)."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    n, c, h, wd = x.shape
    oc, icg, kh, kw = w.shape
    sh, sw = stride
    dh, dw = dilation
    top, left, bottom, right = pads
    xp = np.zeros((n, c, h + top + bottom, wd + left + right))
    xp[:, :, top:top + h, left:left + wd] = x
    oh = (xp.shape[2] - (kh - 1) * dh - 1) // sh + 1
    ow = (xp.shape[3] - (kw - 1) * dw - 1) // sw + 1
    y = np.zeros((n, oc, oh, ow))
    bound = np.zeros_like(y)
    ocg = oc // groups
    for g in range(groups):
        xs = xp[:, g * icg:(g + 1) * icg]
        ws = w[g * ocg:(g + 1) * ocg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                           j * dw:j * dw + (ow - 1) * sw + 1:sw]
                y[:, g * ocg:(g + 1) * ocg] += np.einsum('nchw,oc->nohw', patch, ws[:, :, i, j])
                bound[:, g * ocg:(g + 1) * ocg] += np.einsum('nchw,oc->nohw', np.abs(patch),
                                                             np.abs(ws[:, :, i, j]))
    if bias is not None:
        b = np.asarray(bias, np.float64).reshape(1, -1, 1, 1)
        y += b
        bound += np.abs(b)
    return y, bound


def assert_close(tc, y, ref, bound, k, what):
    """y within 4 k eps32 of ref, elementwise scaled by bound; names the worst element."""
    y = np.asarray(y, np.float64)
    tc.assertEqual(y.shape, ref.shape, what)
    err = np.abs(y - ref) - 4 * k * EPS32 * (bound + 1e-30)
    worst = np.unravel_index(np.argmax(err), err.shape)
    tc.assertLessEqual(err[worst], 0, f'{what}: at {worst} got {y[worst]} want {ref[worst]}')
    return float(np.max(np.abs(y - ref)))
