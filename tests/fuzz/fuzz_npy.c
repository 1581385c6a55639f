/* tests/fuzz/fuzz_npy.c: libFuzzer target for the .npy reader (sc_npy_parse) */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "io/npy_impl.h"
#include "sconv/npy.h"

/* Element `c` (C order) of a successfully parsed file, decoded independently of the
 * reader's odometer: split c into a multi-index, then address the file in its order. */
static float expected(const sc_npy_header *h, const uint8_t *data, int64_t c)
{
    int64_t idx[SC_ARRAY_MAX_DIMS] = {0}, rest = c, off = 0, stride = 1;
    for (int d = h->ndim - 1; d >= 0; --d) {
        idx[d] = rest % h->shape[d];
        rest /= h->shape[d];
    }
    if (h->fortran_order) {
        for (int d = 0; d < h->ndim; ++d) {
            off += idx[d] * stride;
            stride *= h->shape[d];
        }
    } else {
        off = c;
    }
    const uint8_t *p = data + (size_t)off * (size_t)h->itemsize;
    if (h->itemsize == 4) {
        float f;
        memcpy(&f, p, 4);  /* little-endian host */
        return f;
    }
    if (h->itemsize == 8) {
        double d;
        memcpy(&d, p, 8);
        return (float)d;
    }
    /* binary16: value = (-1)^s * 2^(e-15) * (1 + m/1024), subnormal 2^-14 * m/1024 */
    const unsigned hbits = (unsigned)p[0] | (unsigned)p[1] << 8;
    const unsigned s = hbits >> 15, e = (hbits >> 10) & 31, m = hbits & 1023;
    if (e == 31) {
        if (m == 0) return s ? -INFINITY : INFINITY;
        uint32_t b = (uint32_t)s << 31 | 0x7f800000u | (uint32_t)m << 13;  /* payload kept */
        float f;
        memcpy(&f, &b, 4);
        return f;
    }
    double v = e ? ldexp(1.0 + m / 1024.0, (int)e - 15) : ldexp(m / 1024.0, -14);
    return (float)(s ? -v : v);
}

static void same_bits(float a, float b, int64_t c)
{
    uint32_t x, y;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    FUZZ_CHECK(x == y, "element %lld: reader gives 0x%08x, independent decoding 0x%08x",
               (long long)c, (unsigned)x, (unsigned)y);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
    sc_array a;
    memset(&a, 0xA5, sizeof a);  /* must stay untouched on failure */
    sc_array before = a;
    sc_status st = sc_npy_parse(buf, len, &a);
    if (st != SC_OK) {
        FUZZ_CHECK(memcmp(&a, &before, sizeof a) == 0, "output changed on failure (%s)",
                   sc_strerror(st));
        FUZZ_CHECK(st == SC_EFORMAT || st == SC_EUNSUPPORTED || st == SC_EOVERFLOW ||
                   st == SC_ENOMEM, "unexpected status %s: %s", sc_strerror(st), sc_last_message());
        FUZZ_CHECK(strncmp(sc_last_message(), "npy: ", 5) == 0, "message '%s'", sc_last_message());
        return 0;
    }
    sc_npy_header h;
    FUZZ_CHECK(sc_npy_header_parse(buf, len, &h) == SC_OK, "header parse disagrees");
    FUZZ_CHECK(a.ndim == h.ndim && a.ndim >= 0 && a.ndim <= SC_ARRAY_MAX_DIMS, "ndim %d", a.ndim);
    int64_t count = 1;
    for (int d = 0; d < SC_ARRAY_MAX_DIMS; ++d) {
        FUZZ_CHECK(d < a.ndim ? a.shape[d] == h.shape[d] : a.shape[d] == 0, "shape[%d]", d);
        if (d < a.ndim) count *= a.shape[d];
    }
    FUZZ_CHECK(a.data != NULL, "NULL data");
    FUZZ_CHECK(len - h.data_offset == (size_t)count * (size_t)h.itemsize, "data length");
    for (int64_t c = 0; c < count; ++c) same_bits(a.data[c], expected(&h, buf + h.data_offset, c), c);

    /* Round trip through the writer: the same shape and bit patterns come back. */
    const char *path = fuzz_scratch_path("a.npy");
    st = sc_npy_write(path, a.ndim, a.shape, a.data);
    FUZZ_CHECK(st == SC_OK, "writing a parsed array failed: %s", sc_last_message());
    sc_array b;
    st = sc_npy_read(path, &b);
    FUZZ_CHECK(st == SC_OK, "re-reading a written array failed: %s", sc_last_message());
    FUZZ_CHECK(b.ndim == a.ndim && memcmp(b.shape, a.shape, sizeof a.shape) == 0, "shape changed");
    FUZZ_CHECK(memcmp(a.data, b.data, (size_t)count * sizeof(float)) == 0, "values changed");
    sc_array_release(&b);
    sc_array_release(&a);
    return 0;
}
