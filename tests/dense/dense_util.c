/* tests/dense/dense_util.c: views in many layouts and the tolerance rule of the dense tests */
#include "dense_util.h"

#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "dense/dense_plan.h"

const char *view_name(view_kind k)
{
    static const char *const names[VIEW_COUNT] = {"nchw", "nhwc", "slice-nchw", "slice-nhwc",
                                                  "padded-nchw", "padded-nhwc", "cnhw"};
    return (unsigned)k < VIEW_COUNT ? names[k] : "?";
}

view view_make(view_kind k, int64_t n, int64_t c, int64_t h, int64_t w, float fill)
{
    view v = {0};
    sc_tensor parent;
    switch (k) {
    case VIEW_NCHW: v.d = sc_tensor_nchw(n, c, h, w); break;
    case VIEW_NHWC: v.d = sc_tensor_nhwc(n, c, h, w); break;
    case VIEW_SLICE_NCHW:
        parent = sc_tensor_nchw(n, c + 5, h, w);
        v.d = sc_tensor_slice_c(&parent, 2, c);
        v.off = sc_tensor_offset(&parent, 0, 2, 0, 0);
        break;
    case VIEW_SLICE_NHWC:
        parent = sc_tensor_nhwc(n, c + 4, h, w);
        v.d = sc_tensor_slice_c(&parent, 3, c);
        v.off = sc_tensor_offset(&parent, 0, 3, 0, 0);
        break;
    case VIEW_PADDED_NCHW:
        v.d = (sc_tensor){.dims = {n, c, h, w},
                          .strides = {c * (h + 1) * (w + 3), (h + 1) * (w + 3), w + 3, 1}};
        break;
    case VIEW_PADDED_NHWC:
        v.d = (sc_tensor){.dims = {n, c, h, w},
                          .strides = {h * (w + 1) * (c + 2), 1, (w + 1) * (c + 2), c + 2}};
        break;
    case VIEW_CNHW:
        v.d = (sc_tensor){.dims = {n, c, h, w}, .strides = {h * w, n * h * w, w, 1}};
        break;
    default: cr_assert_fail("bad view kind %d", (int)k);
    }
    cr_assert_eq(sc_tensor_check(&v.d, 1, "test view"), SC_OK, "%s", sc_last_message());
    v.len = v.off + sc_tensor_span(&v.d) + 7;  /* a little slack after the view */
    v.buf = malloc((size_t)v.len * sizeof *v.buf);
    cr_assert_not_null(v.buf);
    for (int64_t i = 0; i < v.len; ++i) v.buf[i] = fill;
    v.data = v.buf + v.off;
    return v;
}

void view_free(view *v)
{
    free(v->buf);
    v->buf = v->data = NULL;
}

float *view_at(const view *v, int64_t n, int64_t c, int64_t h, int64_t w)
{
    return v->data + sc_tensor_offset(&v->d, n, c, h, w);
}

void view_from_nchw(view *v, const float *nchw)
{
    const int64_t *e = v->d.dims;
    int64_t i = 0;
    for (int64_t n = 0; n < e[0]; ++n)
        for (int64_t c = 0; c < e[1]; ++c)
            for (int64_t h = 0; h < e[2]; ++h)
                for (int64_t w = 0; w < e[3]; ++w) *view_at(v, n, c, h, w) = nchw[i++];
}

void view_to_nchw(const view *v, float *nchw)
{
    const int64_t *e = v->d.dims;
    int64_t i = 0;
    for (int64_t n = 0; n < e[0]; ++n)
        for (int64_t c = 0; c < e[1]; ++c)
            for (int64_t h = 0; h < e[2]; ++h)
                for (int64_t w = 0; w < e[3]; ++w) nchw[i++] = *view_at(v, n, c, h, w);
}

int64_t view_outside_changed(const view *v, float fill)
{
    /* Mark the view's elements, then count unmarked elements that differ from fill. */
    char *in = calloc((size_t)v->len, 1);
    cr_assert_not_null(in);
    const int64_t *e = v->d.dims;
    for (int64_t n = 0; n < e[0]; ++n)
        for (int64_t c = 0; c < e[1]; ++c)
            for (int64_t h = 0; h < e[2]; ++h)
                for (int64_t w = 0; w < e[3]; ++w)
                    in[v->off + sc_tensor_offset(&v->d, n, c, h, w)] = 1;
    int64_t changed = 0;
    for (int64_t i = 0; i < v->len; ++i)
        if (!in[i] && memcmp(&v->buf[i], &fill, sizeof fill) != 0) ++changed;
    free(in);
    return changed;
}

int64_t compare_tol(const float *got, const float *ref, const float *absref, int64_t count,
                    int64_t kdim)
{
    return ct_first_outside(got, ref, absref, count, (2.0 * (double)kdim + 2.0) * FLT_EPSILON,
                            FLT_MIN);
}

void dense_kernel_of(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                     const sc_tensor *xd, const sc_tensor *yd, char *buf, size_t len)
{
    const sc_dense_options o = {.act = sc_activation_none(), .threads = 1};
    sc_dense_plan pl;
    cr_assert_eq(sc_dense_plan_build(p, wd, w, xd, yd, &o, &pl), SC_OK, "%s", sc_last_message());
    snprintf(buf, len, "%s", pl.kernel);
    sc_dense_plan_clear(&pl);
}

int64_t first_wrong(const float *got, const float *ref, const float *absref, int64_t n,
                    int64_t kdim)
{
    for (int64_t i = 0; i < n; ++i) {
        if (isnan(ref[i]) || isinf(ref[i]) || isnan(absref[i]) || isinf(absref[i])) {
            if (isnan(ref[i]) ? !isnan(got[i]) : memcmp(&got[i], &ref[i], sizeof got[i]) != 0)
                return i;
        } else if (compare_tol(got + i, ref + i, absref + i, 1, kdim) >= 0) {
            return i;
        }
    }
    return -1;
}

sc_activation act_of(int a)
{
    switch (a) {
    case 0: return sc_activation_none();
    case 1: return sc_activation_relu();
    case 2: return sc_activation_relu6();
    default: return sc_activation_clamp(-0.5f, 0.5f);
    }
}

void view_fill_random(view *v, ct_rng *r, bool specials)
{
    for (int64_t i = 0; i < v->len; ++i) v->buf[i] = ct_float(r);
    if (!specials) return;
    const float sp[3] = {NAN, INFINITY, -INFINITY};
    const int64_t *d = v->d.dims;
    for (int j = 0; j < 6; ++j)
        *view_at(v, ct_int(r, 0, d[SC_N] - 1), ct_int(r, 0, d[SC_C] - 1),
                 ct_int(r, 0, d[SC_H] - 1), ct_int(r, 0, d[SC_W] - 1)) = sp[j % 3];
}
