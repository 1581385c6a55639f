/* tests/robustness/test_limits.c: hostile sizes are refused before any allocation, and the
 * allocation limit (SCONV_MAX_ALLOC / sc_set_alloc_limit) is a clear SC_ENOMEM */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "robust_util.h"
#include "sconv.h"

/* A .npy v1.0 file: preamble, the dict padded to a multiple of 64 and '\n', data. */
static uint8_t *npy_bytes(const char *dict, size_t data_len, size_t *len)
{
    const size_t dlen = strlen(dict), hlen = (10 + dlen + 1 + 63) / 64 * 64 - 10;
    *len = 10 + hlen + data_len;
    uint8_t *b = calloc(1, *len);
    cr_assert_not_null(b);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (uint8_t)(hlen & 0xff);
    b[9] = (uint8_t)(hlen >> 8);
    memset(b + 10, ' ', hlen);
    memcpy(b + 10, dict, dlen);
    b[10 + hlen - 1] = '\n';
    return b;
}

/* Allocations made by the library since the last call. */
static uint64_t allocations(void)
{
    return sc_alloc_fail_at(0);
}

Test(hostile, npy_terabyte_header_refused_before_allocation)
{
    size_t len;
    uint8_t *b = npy_bytes("{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (1048576, 1048576, 1048576), }", 16, &len);
    sc_array a;
    memset(&a, 0x5A, sizeof a);
    sc_alloc_set_limit(1 << 20);  /* any attempt at the 4 TiB array would be SC_ENOMEM */
    allocations();
    cr_assert_eq(sc_npy_parse(b, len, &a), SC_EFORMAT, "%s", sc_last_message());
    cr_expect_eq(allocations(), 0, "the parser allocated for a file it refuses");
    cr_expect(strstr(sc_last_message(), "(1048576, 1048576, 1048576)") != NULL, "%s",
              sc_last_message());
    cr_expect(strstr(sc_last_message(), "truncated") != NULL, "%s", sc_last_message());
    /* the same from a file: only the file's own 16 + header bytes are read */
    char dir[256], path[512];
    rb_make_dir(dir);
    rb_path(path, dir, "tb.npy");
    rb_write_bytes(path, b, len);
    cr_assert_eq(sc_npy_read(path, &a), SC_EFORMAT, "%s", sc_last_message());
    cr_expect_eq(allocations(), 1, "one allocation: the file buffer");
    cr_expect(strstr(sc_last_message(), path) != NULL, "%s", sc_last_message());
    uint8_t pattern[sizeof a];
    memset(pattern, 0x5A, sizeof pattern);
    cr_expect(memcmp(&a, pattern, sizeof a) == 0, "output touched");
    sc_alloc_set_limit(0);
    rb_remove_dir(dir);
    free(b);
}

Test(hostile, npy_size_overflow)
{
    size_t len;
    uint8_t *b = npy_bytes("{'descr': '<f8', 'fortran_order': False, "
                           "'shape': (4294967296, 4294967296, 4), }", 0, &len);
    sc_array a;
    allocations();
    cr_assert_eq(sc_npy_parse(b, len, &a), SC_EOVERFLOW, "%s", sc_last_message());
    cr_expect_eq(allocations(), 0);
    cr_expect(strstr(sc_last_message(), "overflows") != NULL, "%s", sc_last_message());
    free(b);
    b = npy_bytes("{'descr': '<f4', 'fortran_order': False, "
                  "'shape': (99999999999999999999,), }", 0, &len);
    cr_assert_eq(sc_npy_parse(b, len, &a), SC_EOVERFLOW, "%s", sc_last_message());
    cr_expect_eq(allocations(), 0);
    free(b);
}

/* A safetensors file: 8-byte length, the JSON text, then data_len zero bytes. */
static uint8_t *st_bytes(const char *json, size_t data_len, size_t *len)
{
    const size_t j = strlen(json);
    *len = 8 + j + data_len;
    uint8_t *b = calloc(1, *len);
    cr_assert_not_null(b);
    for (int i = 0; i < 8; ++i) b[i] = (uint8_t)((uint64_t)j >> (8 * i));
    memcpy(b + 8, json, j);
    return b;
}

/* Metadata of one layer "L" with the given oc and nnz (sparsity consistent), 1x1x1 kernel. */
static void meta(char *out, size_t cap, const char *oc, const char *nnz, const char *sparsity)
{
    snprintf(out, cap,
             "\"__metadata__\":{\"format\":\"sconv\",\"format_version\":\"1\","
             "\"layers\":\"[\\\"L\\\"]\",\"L.oc\":\"%s\",\"L.icg\":\"1\",\"L.kh\":\"1\","
             "\"L.kw\":\"1\",\"L.groups\":\"1\",\"L.stride\":\"1,1\",\"L.padding\":\"0,0,0,0\","
             "\"L.dilation\":\"1,1\",\"L.nnz\":\"%s\",\"L.layout\":\"oihw\","
             "\"L.pack_order\":\"chw\",\"L.method\":\"l1\",\"L.method_params\":\"\","
             "\"L.crc32\":\"00000000\",\"L.sparsity\":\"%s\"}", oc, nnz, sparsity);
}

/* Parse with a 1 MiB limit: must fail with `want` (an attempt at the claimed size would
 * be SC_ENOMEM) after at most `max_allocs` small allocations: the tensor table, the sorted
 * layer names and the per-layer slots (the JSON tree is jansson's, not counted). */
static void refuse(const char *what, const uint8_t *b, size_t len, sc_status want,
                   uint64_t max_allocs, const char *needle)
{
    sc_layer **layers = NULL;
    size_t n = 0;
    sc_alloc_set_limit(1 << 20);
    allocations();
    const sc_status st = sc_file_parse(b, len, &layers, &n);
    const uint64_t made = allocations();
    sc_alloc_set_limit(0);
    cr_expect_eq(st, want, "%s: %s (%s)", what, sc_strerror(st), sc_last_message());
    cr_expect_leq(made, max_allocs, "%s: %llu allocations", what, (unsigned long long)made);
    cr_expect(strstr(sc_last_message(), needle) != NULL, "%s: message '%s' lacks '%s'", what,
              sc_last_message(), needle);
    cr_expect_null(layers);
}

Test(hostile, sconv_terabyte_tensor)
{
    char m[1024], json[2048];
    meta(m, sizeof m, "1099511627776", "0", "1");
    /* a row_ptr claiming 2^40 + 1 elements (8 TiB) over a 16-byte data buffer */
    snprintf(json, sizeof json, "{%s,\"L.row_ptr\":{\"dtype\":\"I64\",\"shape\":[1099511627777],"
             "\"data_offsets\":[0,8796093022216]},\"L.col_idx\":{\"dtype\":\"U16\",\"shape\":[0],"
             "\"data_offsets\":[16,16]},\"L.values\":{\"dtype\":\"F32\",\"shape\":[0],"
             "\"data_offsets\":[16,16]}}", m);
    size_t len;
    uint8_t *b = st_bytes(json, 16, &len);
    refuse("8 TiB row_ptr", b, len, SC_EFORMAT, 1, "not inside");
    free(b);
    /* consistent byte counts but a data buffer that does not hold them */
    snprintf(json, sizeof json, "{%s,\"L.row_ptr\":{\"dtype\":\"I64\",\"shape\":[2],"
             "\"data_offsets\":[0,16]},\"L.col_idx\":{\"dtype\":\"U16\",\"shape\":[0],"
             "\"data_offsets\":[16,16]},\"L.values\":{\"dtype\":\"F32\",\"shape\":[0],"
             "\"data_offsets\":[16,16]}}", m);
    b = st_bytes(json, 16, &len);
    refuse("oc = 2^40 with a 2-entry row_ptr", b, len, SC_EFORMAT, 4, "row_ptr must have shape");
    free(b);
}

Test(hostile, sconv_shape_overflow_and_header_length)
{
    char m[1024], json[2048];
    meta(m, sizeof m, "1", "0", "1");
    snprintf(json, sizeof json, "{%s,\"L.row_ptr\":{\"dtype\":\"I64\",\"shape\":[4294967296,"
             "4294967296,4294967296],\"data_offsets\":[0,16]}}", m);
    size_t len;
    uint8_t *b = st_bytes(json, 16, &len);
    refuse("shape product overflow", b, len, SC_EFORMAT, 1, "overflows");
    free(b);
    /* a header length of 2^63: refused before the JSON is looked at */
    uint8_t h[16] = {0, 0, 0, 0, 0, 0, 0, 0x80, '{', '}'};
    refuse("header length 2^63", h, sizeof h, SC_EFORMAT, 0, "exceeds the limit");
    /* metadata claiming a weight count beyond int64 */
    meta(m, sizeof m, "9223372036854775807", "0", "1");
    snprintf(json, sizeof json, "{%s}", m);
    char *p = strstr(json, "\"L.icg\":\"1\"");
    cr_assert_not_null(p);
    memcpy(p, "\"L.icg\":\"4\"", 11);
    b = st_bytes(json, 0, &len);
    refuse("oc*icg overflow", b, len, SC_EFORMAT, 4, "layer 'L'");
    free(b);
}

Test(hostile, pack_overflowing_descriptor)
{
    const sc_wdesc wd = {SC_OIHW, INT64_C(1) << 40, INT64_C(1) << 40, 1, 1};
    float w[1] = {1.0f};  /* never read: the descriptor is refused first */
    sc_layer *l = NULL;
    allocations();
    const sc_pack_options po = sc_pack_options_default();
    const sc_status st = sc_layer_pack(&wd, w, NULL, &po, &l);
    cr_expect(st == SC_EOVERFLOW || st == SC_EINVAL, "%s", sc_strerror(st));
    cr_expect_eq(allocations(), 0);
    cr_expect_null(l);
}

/* ---- the allocation limit ---- */

Test(limit, default_is_16_gib)
{
    unsetenv("SCONV_MAX_ALLOC");
    cr_assert_eq(sc_set_alloc_limit(0), SC_OK);
    cr_expect_eq(sc_get_alloc_limit(), (size_t)16 << 30);
}

Test(limit, environment_variable)
{
    static const struct { const char *text; size_t want; } cases[] = {
        {"1M", (size_t)1 << 20}, {"4096", 4096}, {"2g", (size_t)2 << 30}, {"3K", 3072},
        {"1T", (size_t)1 << 40},
        /* malformed or zero: the default */
        {"0", (size_t)16 << 30}, {"12Q", (size_t)16 << 30}, {"-5", (size_t)16 << 30},
        {"", (size_t)16 << 30}, {" 5", (size_t)16 << 30}, {"+5", (size_t)16 << 30},
        {"99999999999999999999", (size_t)16 << 30},
        {"17179869184T", (size_t)16 << 30},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        setenv("SCONV_MAX_ALLOC", cases[i].text, 1);
        sc_set_alloc_limit(0);  /* re-read the environment */
        cr_expect_eq(sc_get_alloc_limit(), cases[i].want, "SCONV_MAX_ALLOC=%s: %zu",
                     cases[i].text, sc_get_alloc_limit());
    }
    /* an explicit limit wins over the environment until reset */
    setenv("SCONV_MAX_ALLOC", "1M", 1);
    sc_set_alloc_limit(12345);
    cr_expect_eq(sc_get_alloc_limit(), 12345);
    sc_set_alloc_limit(0);
    cr_expect_eq(sc_get_alloc_limit(), (size_t)1 << 20);
    unsetenv("SCONV_MAX_ALLOC");
    sc_set_alloc_limit(0);
}

Test(limit, exceeding_it_is_enomem_naming_the_limit)
{
    /* a valid 256 x 1024 float32 array (1 MiB of data) read under a 512 KiB limit */
    char dir[256], path[512];
    rb_make_dir(dir);
    rb_path(path, dir, "big.npy");
    float *data = calloc(256 * 1024, sizeof *data);
    const int64_t shape[2] = {256, 1024};
    cr_assert_eq(sc_npy_write(path, 2, shape, data), SC_OK);
    cr_assert_eq(sc_set_alloc_limit(512 << 10), SC_OK);
    sc_array a = {0};
    cr_assert_eq(sc_npy_read(path, &a), SC_ENOMEM, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), "limit of 524288 bytes") != NULL, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), "SCONV_MAX_ALLOC") != NULL, "%s", sc_last_message());
    cr_expect_null(a.data);
    /* the file fits, the array does not: the parser's allocation names the limit too */
    size_t len;
    uint8_t *bytes = rb_read_bytes(path, &len);
    cr_assert_not_null(bytes);
    sc_set_alloc_limit(len - 4096);
    cr_assert_eq(sc_npy_parse(bytes, len, &a), SC_ENOMEM, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), "npy: array data") != NULL, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), "exceeds the allocation limit") != NULL, "%s",
              sc_last_message());
    /* and with the limit lifted it reads */
    sc_set_alloc_limit(0);
    cr_assert_eq(sc_npy_parse(bytes, len, &a), SC_OK, "%s", sc_last_message());
    cr_expect_eq(a.shape[0], 256);
    cr_expect_eq(a.shape[1], 1024);
    sc_array_release(&a);
    free(bytes);
    free(data);
    rb_remove_dir(dir);
}

Test(limit, layer_beyond_the_limit)
{
    /* packing a layer whose values need 4 MiB under a 1 MiB limit */
    const sc_wdesc wd = {SC_OIHW, 1024, 1024, 1, 1};
    float *w = malloc((size_t)1 << 22);
    for (int64_t i = 0; i < 1024 * 1024; ++i) w[i] = 1.0f + (float)(i % 5);
    sc_set_alloc_limit(1 << 20);
    sc_layer *l = NULL;
    const sc_pack_options po = sc_pack_options_default();
    cr_assert_eq(sc_layer_pack(&wd, w, NULL, &po, &l), SC_ENOMEM, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), "limit of 1048576 bytes") != NULL, "%s", sc_last_message());
    cr_expect_null(l);
    sc_set_alloc_limit(0);
    cr_assert_eq(sc_layer_pack(&wd, w, NULL, &po, &l), SC_OK, "%s", sc_last_message());
    sc_layer_destroy(l);
    free(w);
}
