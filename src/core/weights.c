/* src/core/weights.c: weight layouts OIHW / OHWI / HWIO: shapes, indices, conversion */
#include <strings.h>

#include "core/core.h"
#include "sconv/weights.h"

/* For each layout, which logical axis (0=O, 1=I, 2=H, 3=W) sits at each tensor position. */
static const int axes_of[3][4] = {
    [SC_OIHW] = {0, 1, 2, 3},
    [SC_OHWI] = {0, 2, 3, 1},
    [SC_HWIO] = {2, 3, 1, 0},
};
static const char *const layout_names[3] = {"oihw", "ohwi", "hwio"};

static bool layout_valid(sc_wlayout l)
{
    return (unsigned)l <= SC_HWIO;
}

const char *sc_wlayout_name(sc_wlayout layout)
{
    return layout_valid(layout) ? layout_names[layout] : NULL;
}

sc_status sc_wlayout_parse(const char *name, sc_wlayout *out)
{
    if (!out) return sc_fail(SC_EINVAL, "weight layout parse: out must not be NULL");
    for (int l = 0; name && l < 3; ++l)
        if (strcasecmp(name, layout_names[l]) == 0) {
            *out = (sc_wlayout)l;
            return SC_OK;
        }
    return sc_fail(SC_EINVAL, "weight layout '%s': expected oihw, ohwi or hwio",
                   name ? name : "(null)");
}

static void logical_dims(const sc_wdesc *wd, int64_t dims[4])
{
    dims[0] = wd->oc;
    dims[1] = wd->icg;
    dims[2] = wd->kh;
    dims[3] = wd->kw;
}

void sc_wdesc_shape(const sc_wdesc *wd, int64_t shape[4])
{
    if (!shape) return;
    if (!wd || !layout_valid(wd->layout)) {  /* nothing to describe */
        for (int d = 0; d < 4; ++d) shape[d] = 0;
        return;
    }
    int64_t dims[4];
    logical_dims(wd, dims);
    for (int d = 0; d < 4; ++d) shape[d] = dims[axes_of[wd->layout][d]];
}

sc_status sc_wdesc_check(const sc_wdesc *wd)
{
    if (!wd) return sc_fail(SC_EINVAL, "weights: descriptor is NULL");
    if (!layout_valid(wd->layout))
        return sc_fail(SC_EINVAL, "weights: unknown layout %d", (int)wd->layout);
    int64_t dims[4];
    logical_dims(wd, dims);
    static const char *const names[4] = {"O (output channels)", "I (input channels per group)",
                                         "KH", "KW"};
    for (int d = 0; d < 4; ++d)
        if (dims[d] < 1)
            return sc_fail(SC_EINVAL, "weights: %s = %lld: must be >= 1", names[d],
                           (long long)dims[d]);
    if (sc_checked_product(dims, 4) < 0)
        return sc_fail(SC_EOVERFLOW, "weights: %lld x %lld x %lld x %lld elements overflow",
                       (long long)dims[0], (long long)dims[1], (long long)dims[2],
                       (long long)dims[3]);
    return SC_OK;
}

sc_status sc_wdesc_from_shape(sc_wlayout layout, const int64_t shape[4], sc_wdesc *out)
{
    if (!shape || !out) return sc_fail(SC_EINVAL, "weights: shape and out must not be NULL");
    if (!layout_valid(layout)) return sc_fail(SC_EINVAL, "weights: unknown layout %d", (int)layout);
    int64_t dims[4];
    for (int d = 0; d < 4; ++d) dims[axes_of[layout][d]] = shape[d];
    sc_wdesc wd = {.layout = layout, .oc = dims[0], .icg = dims[1], .kh = dims[2], .kw = dims[3]};
    sc_status st = sc_wdesc_check(&wd);
    if (st == SC_OK) *out = wd;
    return st;
}

int64_t sc_wdesc_numel(const sc_wdesc *wd)
{
    if (!wd) return 0;
    const int64_t dims[4] = {wd->oc, wd->icg, wd->kh, wd->kw};
    return sc_checked_product(dims, 4);
}

void sc_wdesc_strides(const sc_wdesc *wd, int64_t strides[4])
{
    if (!wd || !layout_valid(wd->layout)) {
        for (int d = 0; d < 4; ++d) strides[d] = 0;
        return;
    }
    int64_t shape[4], step = 1;  /* C order: the last position of the layout is unit-stride */
    sc_wdesc_shape(wd, shape);
    for (int d = 3; d >= 0; --d) {
        strides[axes_of[wd->layout][d]] = step;
        step *= shape[d];
    }
}

int64_t sc_wdesc_index(const sc_wdesc *wd, int64_t o, int64_t i, int64_t h, int64_t w)
{
    if (!wd || !layout_valid(wd->layout)) return -1;
    int64_t s[4];
    sc_wdesc_strides(wd, s);
    return o * s[0] + i * s[1] + h * s[2] + w * s[3];
}

void sc_wlayout_perm(sc_wlayout from, sc_wlayout to, int perm[4])
{
    if (!perm) return;
    if (!layout_valid(from) || !layout_valid(to)) {  /* documented: the identity */
        for (int d = 0; d < 4; ++d) perm[d] = d;
        return;
    }
    /* out position d holds logical axis axes_of[to][d]; find where `from` keeps it. */
    for (int d = 0; d < 4; ++d)
        for (int e = 0; e < 4; ++e)
            if (axes_of[from][e] == axes_of[to][d]) perm[d] = e;
}

sc_status sc_weights_convert(const sc_wdesc *wd, const float *src, sc_wlayout to, float *dst)
{
    sc_status st = sc_wdesc_check(wd);
    if (st != SC_OK) return st;
    if (!layout_valid(to)) return sc_fail(SC_EINVAL, "weights: unknown target layout %d", (int)to);
    if (!src || !dst) return sc_fail(SC_EINVAL, "weights convert: NULL buffer");
    sc_wdesc out = *wd;
    out.layout = to;
    for (int64_t o = 0; o < wd->oc; ++o)
        for (int64_t i = 0; i < wd->icg; ++i)
            for (int64_t h = 0; h < wd->kh; ++h)
                for (int64_t w = 0; w < wd->kw; ++w)
                    dst[sc_wdesc_index(&out, o, i, h, w)] = src[sc_wdesc_index(wd, o, i, h, w)];
    return SC_OK;
}
