/* src/io/npy_impl.h: the parsed .npy preamble and header dict, shared by reader and tests */
#ifndef SC_IO_NPY_IMPL_H
#define SC_IO_NPY_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sconv/npy.h"

/* Preamble: "\x93NUMPY", major, minor, header length (u16 LE for v1, u32 LE for v2/v3),
 * then the header: a Python dict literal padded with spaces and ending in '\n'. */
#define SC_NPY_MAGIC "\x93NUMPY"
#define SC_NPY_MAGIC_LEN 6

typedef struct sc_npy_header {
    int major;                           /* 1, 2 or 3 (minor is always 0) */
    size_t data_offset;                  /* bytes from the file start to the array data */
    int itemsize;                        /* 2, 4 or 8: little-endian IEEE float */
    bool fortran_order;
    int ndim;                            /* 0..SC_ARRAY_MAX_DIMS */
    int64_t shape[SC_ARRAY_MAX_DIMS];    /* unused entries 0 */
    int64_t count;                       /* product of shape (1 for rank 0) */
} sc_npy_header;

/* Validate the preamble and header of a .npy file held in buf[0..len) and fill *h.
 * Checks magic, version, header length against len, the trailing '\n', the dict syntax
 * (keys 'descr', 'fortran_order', 'shape', each exactly once, in any order), the dtype
 * and the shape (non-negative, rank <= 4, count * itemsize fits size_t). The data
 * length is not checked here. SC_EFORMAT / SC_EUNSUPPORTED / SC_EOVERFLOW with a
 * message starting "npy: ". */
sc_status sc_npy_header_parse(const unsigned char *buf, size_t len, sc_npy_header *h);

/* Python tuple syntax, as in the header: "()", "(3,)", "(2, 3)". A buffer of
 * SC_NPY_SHAPE_STR bytes holds any shape of rank <= 4. */
#define SC_NPY_SHAPE_STR 96
void sc_npy_format_shape(const int64_t *shape, int ndim, char *buf, size_t cap);

#endif
