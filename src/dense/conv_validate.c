/* src/dense/conv_validate.c: argument checks shared by the reference and the fast dense conv */
#include <stdint.h>

#include "core/core.h"
#include "dense/dense_impl.h"

/* Do [a, a+na) and [b, b+nb) (in floats) share an element? Compared as integers, so
 * unrelated buffers are fine to test. */
static bool ranges_overlap(const float *a, int64_t na, const float *b, int64_t nb)
{
    const uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    const uintptr_t a1 = a0 + (uintptr_t)na * sizeof(float);
    const uintptr_t b1 = b0 + (uintptr_t)nb * sizeof(float);
    return a0 < b1 && b0 < a1;
}

sc_status sc_dense_validate(const char *who, const sc_conv_params *p, const sc_wdesc *wd,
                            const float *w, const float *bias, const sc_activation *act,
                            const sc_tensor *xd, const float *x, const sc_tensor *yd,
                            const float *y)
{
    sc_status st;
    if (!w || !x || !y)
        return sc_fail(SC_EINVAL, "%s: NULL buffer (weights %s, input %s, output %s)", who,
                       w ? "set" : "NULL", x ? "set" : "NULL", y ? "set" : "NULL");
    if ((st = sc_conv_check(p, wd, xd, yd)) != SC_OK) return st;
    if ((st = sc_activation_check(act)) != SC_OK) return st;
    const int64_t y_span = sc_tensor_span(yd);
    if (ranges_overlap(y, y_span, x, sc_tensor_span(xd)))
        return sc_fail(SC_EINVAL, "%s: the output buffer overlaps the input; in-place "
                       "convolution is not supported", who);
    if (ranges_overlap(y, y_span, w, sc_wdesc_numel(wd)))
        return sc_fail(SC_EINVAL, "%s: the output buffer overlaps the weights", who);
    if (bias && ranges_overlap(y, y_span, bias, wd->oc))
        return sc_fail(SC_EINVAL, "%s: the output buffer overlaps the bias", who);
    return SC_OK;
}
