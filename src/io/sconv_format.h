/* src/io/sconv_format.h: .sconv internals shared by the reader and the writer */
#ifndef SC_IO_SCONV_FORMAT_H
#define SC_IO_SCONV_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sconv/base.h"

/* See docs/format.md for the file this describes. */
#define SC_SCONV_FORMAT "sconv"
#define SC_SCONV_VERSION 2
/* The version a file needs: 1 unless it holds a conv_transpose layer (a version-1 reader
 * ignores the "<layer>.kind" key and would run such a layer as a plain conv). */
#define SC_SCONV_VERSION_CONV 1
#define SC_SCONV_VERSION_TRANSPOSE 2
/* Largest JSON header accepted, as in the safetensors reference implementation. */
#define SC_SCONV_MAX_HEADER ((uint64_t)100000000)

/* The tensors of one layer, named "<layer>.<suffix>". */
enum { SC_T_ROW_PTR = 0, SC_T_COL_IDX, SC_T_VALUES, SC_T_BIAS, SC_T_COUNT };
extern const char *const sc_sconv_suffix[SC_T_COUNT];

/* The safetensors dtypes a .sconv file uses. */
typedef enum sc_dtype { SC_DT_I32 = 0, SC_DT_I64, SC_DT_U16, SC_DT_U32, SC_DT_F32, SC_DT_COUNT } sc_dtype;
extern const char *const sc_dtype_name[SC_DT_COUNT];
extern const int sc_dtype_size[SC_DT_COUNT];
/* Index of a dtype name, or -1 when it is not one of ours. */
int sc_dtype_lookup(const char *name);

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320, as zlib.crc32): start with
 * crc = 0 and feed the pieces in order. */
uint32_t sc_crc32_update(uint32_t crc, const void *buf, size_t len);

/* Metadata numbers: canonical decimal, digits only, no sign, no leading zero (except
 * "0"), at most INT64_MAX. Returns false on anything else. */
bool sc_meta_parse_i64(const char *s, int64_t *out);
/* n such numbers separated by single commas ("1,2"). */
bool sc_meta_parse_list(const char *s, int n, int64_t *out);

/* One tensor entry of a safetensors header, checked: known dtype, rank <= 4, extents >= 0,
 * 0 <= begin <= end <= data length, end - begin == numel * dtype size. */
typedef struct sc_st_tensor {
    const char *name;   /* borrowed from the JSON tree */
    sc_dtype dtype;
    int rank;
    int64_t shape[4];
    int64_t numel;
    int64_t begin, end; /* byte range in the data buffer */
} sc_st_tensor;

/* A parsed safetensors file: the tensors sorted by begin (contiguous, covering the whole
 * data buffer) and the __metadata__ object (every value a string). */
typedef struct sc_st_file {
    json_t *root;            /* owned */
    json_t *meta;            /* borrowed from root */
    sc_st_tensor *t;         /* sc_malloc'd */
    size_t n;
    const uint8_t *data;     /* inside the caller's buffer */
    size_t data_len;
} sc_st_file;

/* Parse and check the safetensors layer of a .sconv file (SC_EFORMAT naming the problem). */
sc_status sc_st_parse(const uint8_t *buf, size_t len, sc_st_file *f);
void sc_st_release(sc_st_file *f);

/* Little-endian stores and loads; SC_HOST_LE allows a plain copy when widths match. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SC_HOST_LE 1
#else
#define SC_HOST_LE 0
#endif
static inline void sc_put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int b = 0; b < bytes; ++b) p[b] = (uint8_t)(v >> (8 * b));
}
static inline uint64_t sc_get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int b = 0; b < bytes; ++b) v |= (uint64_t)p[b] << (8 * b);
    return v;
}

#endif
