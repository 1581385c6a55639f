/* src/core/tensor.c: activation descriptors: constructors, checks, copy */
#include <stdlib.h>

#include "core/core.h"
#include "sconv/tensor.h"

static const char dim_names[4] = {'n', 'c', 'h', 'w'};

/* a * b * c for extents, or INT64_MAX when one is negative or the product overflows: a
 * saturated stride makes sc_tensor_check refuse the view with SC_EOVERFLOW (or SC_EINVAL for
 * the negative extent) instead of wrapping. */
static int64_t extent_product(int64_t a, int64_t b, int64_t c)
{
    int64_t ab, abc;
    if (a < 0 || b < 0 || c < 0 || sc_mul_ovf(a, b, &ab) || sc_mul_ovf(ab, c, &abc))
        return INT64_MAX;
    return abc;
}

sc_tensor sc_tensor_nchw(int64_t n, int64_t c, int64_t h, int64_t w)
{
    return (sc_tensor){.dims = {n, c, h, w},
                       .strides = {extent_product(c, h, w), extent_product(h, w, 1), w, 1}};
}

sc_tensor sc_tensor_nhwc(int64_t n, int64_t c, int64_t h, int64_t w)
{
    return (sc_tensor){.dims = {n, c, h, w},
                       .strides = {extent_product(h, w, c), 1, extent_product(w, c, 1), c}};
}

sc_tensor sc_tensor_slice_c(const sc_tensor *t, int64_t c0, int64_t nc)
{
    if (!t) return (sc_tensor){{0, 0, 0, 0}, {0, 0, 0, 0}};  /* extents 0: never valid */
    sc_tensor s = *t;
    if (c0 < 0 || nc < 1 || c0 > t->dims[SC_C] || nc > t->dims[SC_C] - c0) s.dims[SC_C] = 0;
    else s.dims[SC_C] = nc;
    return s;
}

int64_t sc_tensor_offset(const sc_tensor *t, int64_t n, int64_t c, int64_t h, int64_t w)
{
    if (!t) return -1;
    const int64_t idx[4] = {n, c, h, w};
    int64_t off = 0, term;
    for (int d = 0; d < 4; ++d)
        if (sc_mul_ovf(idx[d], t->strides[d], &term) || sc_add_ovf(off, term, &off)) return -1;
    return off;
}

static int by_stride(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;  /* pairs (stride, extent) */
    return (x[0] > y[0]) - (x[0] < y[0]);
}

sc_status sc_tensor_check(const sc_tensor *t, int for_write, const char *what)
{
    if (!what) what = "tensor";
    if (!t) return sc_fail(SC_EINVAL, "%s: descriptor is NULL", what);
    int64_t last = 0;  /* offset of the highest addressed element */
    for (int d = 0; d < 4; ++d) {
        if (t->dims[d] < 1)
            return sc_fail(SC_EINVAL, "%s: extent %c = %lld: extents must be >= 1", what,
                           dim_names[d], (long long)t->dims[d]);
        if (t->strides[d] < 0)
            return sc_fail(SC_EINVAL, "%s: stride %c = %lld: strides must be >= 0", what,
                           dim_names[d], (long long)t->strides[d]);
        int64_t reach;
        if (sc_mul_ovf(t->dims[d] - 1, t->strides[d], &reach) || sc_add_ovf(last, reach, &last))
            return sc_fail(SC_EOVERFLOW, "%s: the view's extent overflows int64", what);
    }
    if (last == INT64_MAX || (uint64_t)last + 1 > SIZE_MAX / sizeof(float))
        return sc_fail(SC_EOVERFLOW, "%s: the view spans more bytes than size_t holds", what);
    if (sc_checked_product(t->dims, 4) < 0)
        return sc_fail(SC_EOVERFLOW, "%s: element count overflows", what);
    if (for_write) {
        /* Sorted by stride, each stride must reach past everything the smaller ones
         * address; extents of 1 never alias and are skipped. */
        int64_t pairs[4][2];
        int k = 0;
        for (int d = 0; d < 4; ++d)
            if (t->dims[d] > 1) { pairs[k][0] = t->strides[d]; pairs[k][1] = t->dims[d]; ++k; }
        qsort(pairs, (size_t)k, sizeof pairs[0], by_stride);
        int64_t span = 1;  /* elements addressed by the smaller dims, as a block */
        for (int i = 0; i < k; ++i) {
            if (pairs[i][0] < span)
                return sc_fail(SC_EINVAL, "%s: strides (%lld,%lld,%lld,%lld) make distinct "
                               "elements share memory; an output view must not alias", what,
                               (long long)t->strides[0], (long long)t->strides[1],
                               (long long)t->strides[2], (long long)t->strides[3]);
            span = pairs[i][0] * (pairs[i][1] - 1) + span;  /* no overflow: bounded by last+1 */
        }
    }
    return SC_OK;
}

int64_t sc_tensor_span(const sc_tensor *t)
{
    if (!t) return 0;
    int64_t last = 0, reach;
    for (int d = 0; d < 4; ++d) {
        if (t->dims[d] < 1 || t->strides[d] < 0) return -1;
        if (sc_mul_ovf(t->dims[d] - 1, t->strides[d], &reach) || sc_add_ovf(last, reach, &last))
            return -1;
    }
    return last == INT64_MAX ? -1 : last + 1;
}

int64_t sc_tensor_numel(const sc_tensor *t)
{
    if (!t) return 0;
    int64_t n = 1;
    for (int d = 0; d < 4; ++d)
        if (t->dims[d] < 0 || sc_mul_ovf(n, t->dims[d], &n)) return -1;
    return n;
}

sc_status sc_tensor_copy(const sc_tensor *src_desc, const float *src,
                         const sc_tensor *dst_desc, float *dst)
{
    sc_status st;
    if (!src || !dst) return sc_fail(SC_EINVAL, "tensor copy: NULL buffer");
    if ((st = sc_tensor_check(src_desc, 0, "tensor copy: source")) != SC_OK) return st;
    if ((st = sc_tensor_check(dst_desc, 1, "tensor copy: destination")) != SC_OK) return st;
    for (int d = 0; d < 4; ++d)
        if (src_desc->dims[d] != dst_desc->dims[d])
            return sc_fail(SC_EINVAL, "tensor copy: extent %c differs: %lld vs %lld",
                           dim_names[d], (long long)src_desc->dims[d],
                           (long long)dst_desc->dims[d]);
    const int64_t *e = src_desc->dims, *s = src_desc->strides, *t = dst_desc->strides;
    for (int64_t n = 0; n < e[0]; ++n)
        for (int64_t c = 0; c < e[1]; ++c)
            for (int64_t h = 0; h < e[2]; ++h) {
                const float *srow = src + n * s[0] + c * s[1] + h * s[2];
                float *drow = dst + n * t[0] + c * t[1] + h * t[2];
                for (int64_t w = 0; w < e[3]; ++w) drow[w * t[3]] = srow[w * s[3]];
            }
    return SC_OK;
}
