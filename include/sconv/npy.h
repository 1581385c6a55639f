/* include/sconv/npy.h: NumPy .npy files (v1, v2, v3) as float32 arrays */
#ifndef SCONV_NPY_H
#define SCONV_NPY_H

#include "sconv/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_ARRAY_MAX_DIMS 4

/* A dense C-ordered float32 array of rank 0..4 (rank 0 holds one value). */
typedef struct sc_array {
    int ndim;
    int64_t shape[SC_ARRAY_MAX_DIMS];
    float *data;   /* owned; release with sc_array_release */
} sc_array;

/* Read a .npy file: little-endian (or byte-order-free) float32, float64 or float16
 * (converted to float32), C or Fortran order (returned in C order), rank <= 4.
 * On failure *out is left untouched and the message names the file and the problem. */
sc_status sc_npy_read(const char *path, sc_array *out);

/* The same from a buffer of len bytes (the whole file). */
sc_status sc_npy_parse(const void *buf, size_t len, sc_array *out);

/* Write a C-ordered float32 array as .npy v1.0 (v2.0 when the header needs it),
 * to a temporary file renamed into place: the old file survives any failure. */
sc_status sc_npy_write(const char *path, int ndim, const int64_t *shape, const float *data);

/* Free the data and zero the struct; NULL and already-released arrays are fine. */
void sc_array_release(sc_array *a);

#ifdef __cplusplus
}
#endif
#endif
