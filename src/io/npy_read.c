/* src/io/npy_read.c: .npy data to a C-ordered float32 array (float16/64 converted) */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "io/file_util.h"
#include "io/npy_impl.h"

/* IEEE binary16 -> binary32, exact: every half value (subnormals included) is a float.
 * Subnormal halves m * 2^-24 are renormalised; NaN payloads keep their bits. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | mant << 13;          /* inf, nan */
    } else if (exp != 0) {
        bits = sign | (exp + 127 - 15) << 23 | mant << 13;  /* normal */
    } else if (mant == 0) {
        bits = sign;                                      /* +-0 */
    } else {
        int e = 127 - 15 + 1;                             /* subnormal: shift into normal */
        while (!(mant & 0x400)) {
            mant <<= 1;
            e--;
        }
        bits = sign | (uint32_t)e << 23 | (mant & 0x3ff) << 13;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint64_t load_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

/* Element i of the file's data (little-endian, itemsize bytes) as a float. */
static float load_item(const unsigned char *data, int64_t i, int itemsize)
{
    const unsigned char *p = data + (size_t)i * (size_t)itemsize;
    if (itemsize == 2) return half_to_float((uint16_t)load_le(p, 2));
    if (itemsize == 4) {
        uint32_t b = (uint32_t)load_le(p, 4);
        float f;
        memcpy(&f, &b, sizeof f);
        return f;
    }
    uint64_t b = load_le(p, 8);
    double d;
    memcpy(&d, &b, sizeof d);
    return (float)d;  /* round to nearest; out-of-range values become +-inf */
}

/* out[c] = element at C-order index c. Fortran order stores index (i0, .., ik) at
 * i0 + n0 * (i1 + n1 * (..)); walk the C-order index and step that offset. */
static void convert(const sc_npy_header *h, const unsigned char *data, float *out)
{
    if (h->count == 0) return;  /* the strides below could overflow for (0, 2^62, 2^62) */
    if (!h->fortran_order || h->ndim <= 1) {
        for (int64_t c = 0; c < h->count; ++c) out[c] = load_item(data, c, h->itemsize);
        return;
    }
    int nd = h->ndim;
    int64_t fstride[SC_ARRAY_MAX_DIMS], idx[SC_ARRAY_MAX_DIMS] = {0};
    fstride[0] = 1;
    for (int d = 1; d < nd; ++d) fstride[d] = fstride[d - 1] * h->shape[d - 1];
    int64_t off = 0;
    for (int64_t c = 0; c < h->count; ++c) {
        out[c] = load_item(data, off, h->itemsize);
        for (int d = nd - 1; d >= 0; --d) {  /* odometer: last index fastest */
            idx[d]++;
            off += fstride[d];
            if (idx[d] < h->shape[d]) break;
            off -= idx[d] * fstride[d];
            idx[d] = 0;
        }
    }
}

sc_status sc_npy_parse(const void *buf, size_t len, sc_array *out)
{
    if ((!buf && len > 0) || !out) return sc_fail(SC_EINVAL, "npy: NULL buffer or output");
    sc_npy_header h;
    sc_status st = sc_npy_header_parse(buf, len, &h);
    if (st != SC_OK) return st;
    size_t need = (size_t)h.count * (size_t)h.itemsize;  /* checked by the header parser */
    size_t have = len - h.data_offset;
    if (have != need) {
        char shape[SC_NPY_SHAPE_STR];
        sc_npy_format_shape(h.shape, h.ndim, shape, sizeof shape);
        return sc_fail(SC_EFORMAT, "npy: data holds %zu bytes but shape %s of %d-byte floats "
                       "needs %zu (%s)", have, shape, h.itemsize, need,
                       have < need ? "truncated" : "trailing bytes");
    }
    void *p = NULL;
    st = sc_alloc_array(&p, (size_t)h.count, sizeof(float), false, "npy: array data");
    if (st != SC_OK) return st;
    convert(&h, (const unsigned char *)buf + h.data_offset, p);
    memset(out, 0, sizeof *out);
    out->ndim = h.ndim;
    memcpy(out->shape, h.shape, sizeof out->shape);
    out->data = p;
    return SC_OK;
}

sc_status sc_npy_read(const char *path, sc_array *out)
{
    if (!path || !out) return sc_fail(SC_EINVAL, "npy: NULL path or output");
    void *buf = NULL;
    size_t len = 0;
    sc_status st = sc_read_file(path, SIZE_MAX, &buf, &len);  /* names the file itself */
    if (st != SC_OK) return st;
    st = sc_npy_parse(buf, len, out);
    if (st != SC_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", sc_last_message());
        sc_fail(st, "%s: %s", path, msg);
    }
    sc_free(buf);
    return st;
}

void sc_array_release(sc_array *a)
{
    if (!a) return;
    sc_free(a->data);
    memset(a, 0, sizeof *a);
}
