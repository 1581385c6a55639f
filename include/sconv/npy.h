/* include/sconv/npy.h: NumPy .npy files (v1, v2, v3) as float32 arrays */
#ifndef SCONV_NPY_H
#define SCONV_NPY_H

#include "sconv/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_ARRAY_MAX_DIMS 4

/* A dense C-ordered float32 array of rank 0..4 (rank 0 holds one value).
 * shape[d] for d >= ndim is 0. */
typedef struct sc_array {
    int ndim;
    int64_t shape[SC_ARRAY_MAX_DIMS];
    float *data;   /* owned; release with sc_array_release */
} sc_array;

/* Read a .npy file: little-endian (or byte-order-free) float32, float64 or float16
 * (converted to float32), C or Fortran order (returned in C order), rank <= 4.
 * float16 converts exactly (subnormals, infinities, NaN payloads); float64 rounds to
 * nearest (values beyond the float range become +-inf).
 * Descr strings accepted: '<f2' '<f4' '<f8' and the same with '=' or '|' (read as
 * little-endian, as NumPy does on the targets sconv supports).
 * Statuses:
 *   SC_EIO          the file cannot be opened or read, or is a directory
 *   SC_EFORMAT      bad magic, truncated, header length not matching the file, header not
 *                   ending in '\n', dict syntax, unknown/missing/repeated key, negative
 *                   dimension, data length not exactly what the shape needs
 *   SC_EUNSUPPORTED format version other than 1.0/2.0/3.0, big-endian or non-float dtype,
 *                   structured dtype, rank above 4
 *   SC_EOVERFLOW    a dimension or the size of the shape does not fit int64_t / size_t
 *   SC_ENOMEM       the file or the array exceeds the allocation limit (SCONV_MAX_ALLOC)
 * On failure *out is left untouched and the message names the file and the problem. */
SC_API sc_status sc_npy_read(const char *path, sc_array *out);

/* The same from a buffer of len bytes (the whole file); messages start with "npy: ". */
SC_API sc_status sc_npy_parse(const void *buf, size_t len, sc_array *out);

/* Write a C-ordered float32 array as .npy v1.0 (v2.0 when the header needs it),
 * to a temporary file renamed into place: the old file survives any failure and the
 * replacement keeps its owner and mode; a symbolic link is followed, a device or FIFO
 * written in place (docs/robustness.md, "Output paths").
 * The header is NumPy's ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
 * padded so the data starts at a multiple of 64 bytes. data may be NULL when the shape
 * holds no element. SC_EINVAL for rank outside 0..4, negative extents or NULL pointers,
 * SC_EOVERFLOW when the size overflows, SC_EIO (naming the path) when the file cannot be
 * written, e.g. a missing directory or a path that is a directory. */
SC_API sc_status sc_npy_write(const char *path, int ndim, const int64_t *shape, const float *data);

/* Free the data and zero the struct; NULL and already-released arrays are fine. */
SC_API void sc_array_release(sc_array *a);

#ifdef __cplusplus
}
#endif
#endif
