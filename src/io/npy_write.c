/* src/io/npy_write.c: a C-ordered float32 array to a .npy file, written atomically */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "io/file_util.h"
#include "io/npy_impl.h"

/* NumPy aligns the data to 64 bytes (its ARRAY_ALIGN) so it can be memory-mapped and
 * read with aligned vector loads; the format itself only requires 16. */
enum { NPY_ALIGN = 64, CHUNK = 1024, DICT_MAX = 160, HDR_MAX = 12 + DICT_MAX + NPY_ALIGN };

/* Preamble + dict + space padding + '\n' into hdr; returns its length (a multiple of
 * NPY_ALIGN, at most HDR_MAX). Version 1.0 stores the header length in 16 bits, 2.0 in 32 bits. */
static size_t build_header(int ndim, const int64_t *shape, unsigned char hdr[HDR_MAX])
{
    char shape_str[SC_NPY_SHAPE_STR];
    sc_npy_format_shape(shape, ndim, shape_str, sizeof shape_str);
    char dict[DICT_MAX];  /* the longest, rank 4 with 19-digit extents, is ~140 */
    size_t dict_len = (size_t)snprintf(dict, sizeof dict,
                                       "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                                       shape_str);
    size_t pre = 10;
    size_t total = (pre + dict_len + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    if (total - pre > 65535) {  /* unreachable for rank <= 4, kept for the format's sake */
        pre = 12;
        total = (pre + dict_len + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    }
    size_t hlen = total - pre;
    memcpy(hdr, SC_NPY_MAGIC, SC_NPY_MAGIC_LEN);
    hdr[6] = pre == 10 ? 1 : 2;
    hdr[7] = 0;
    for (size_t i = 0; i < pre - 8; ++i) hdr[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(hdr + pre, dict, dict_len);
    memset(hdr + pre + dict_len, ' ', hlen - dict_len - 1);
    hdr[total - 1] = '\n';
    return total;
}

/* data[0..count) as little-endian float32, CHUNK values at a time. */
static sc_status write_data(sc_atomic_file *f, const float *data, int64_t count)
{
    unsigned char buf[CHUNK * 4];
    for (int64_t i = 0; i < count; i += CHUNK) {
        int64_t n = count - i < CHUNK ? count - i : CHUNK;
        for (int64_t j = 0; j < n; ++j) {
            uint32_t b;
            memcpy(&b, &data[i + j], sizeof b);
            for (int k = 0; k < 4; ++k) buf[4 * j + k] = (unsigned char)(b >> (8 * k));
        }
        sc_status st = sc_atomic_write(f, buf, (size_t)n * 4);
        if (st != SC_OK) return st;
    }
    return SC_OK;
}

sc_status sc_npy_write(const char *path, int ndim, const int64_t *shape, const float *data)
{
    if (!path) return sc_fail(SC_EINVAL, "npy write: NULL path");
    if (ndim < 0 || ndim > SC_ARRAY_MAX_DIMS)
        return sc_fail(SC_EINVAL, "npy write %s: rank %d: must be 0..%d", path, ndim,
                       SC_ARRAY_MAX_DIMS);
    if (ndim > 0 && !shape) return sc_fail(SC_EINVAL, "npy write %s: NULL shape", path);
    for (int d = 0; d < ndim; ++d)
        if (shape[d] < 0)
            return sc_fail(SC_EINVAL, "npy write %s: dimension %d is %lld: must be >= 0", path,
                           d, (long long)shape[d]);
    int64_t count = sc_checked_product(shape, ndim);
    if (count < 0) return sc_fail(SC_EOVERFLOW, "npy write %s: shape size overflows", path);
    if (count > 0 && !data) return sc_fail(SC_EINVAL, "npy write %s: NULL data", path);

    unsigned char hdr[HDR_MAX];
    size_t hdr_len = build_header(ndim, shape, hdr);
    sc_atomic_file f;
    sc_status st = sc_atomic_open(path, &f);
    if (st != SC_OK) return st;
    st = sc_atomic_write(&f, hdr, hdr_len);
    if (st == SC_OK) st = write_data(&f, data, count);
    if (st == SC_OK) st = sc_atomic_commit(&f);
    sc_atomic_abort(&f);  /* no-op after commit */
    return st;
}
