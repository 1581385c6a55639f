/* tests/io/test_npy.c: .npy read/write: round trips, conversions, NumPy corpus, broken files */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core.h"
#include "io/test_io_util.h"
#include "sconv/npy.h"

#ifndef NPY_CORPUS_DIR
#error "NPY_CORPUS_DIR must name tests/io/corpus/npy"
#endif

/* ---- helpers ------------------------------------------------------------------------ */

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; ++i) p[i] = (unsigned char)(v >> (8 * i));
}

/* A .npy file in buf: version major.0, the dict padded with spaces so the data starts at
 * a multiple of 64, then data_len bytes of data. Returns the total length. */
static size_t make_npy(unsigned char *buf, size_t cap, int major, const char *dict,
                       const void *data, size_t data_len)
{
    size_t pre = major == 1 ? 10 : 12, dlen = strlen(dict);
    size_t total = (pre + dlen + 1 + 63) / 64 * 64;
    cr_assert_leq(total + data_len, cap);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    put_le(buf + 8, total - pre, (int)(pre - 8));
    memcpy(buf + pre, dict, dlen);
    memset(buf + pre + dlen, ' ', total - pre - dlen - 1);
    buf[total - 1] = '\n';
    if (data_len) memcpy(buf + total, data, data_len);
    return total + data_len;
}

/* Expect buf to be rejected with want, the output untouched and a "npy: " message. */
static void expect_reject(const void *buf, size_t len, sc_status want, const char *what)
{
    float sentinel = 42.0f;
    sc_array a = {7, {1, 2, 3, 4}, &sentinel};
    sc_status st = sc_npy_parse(buf, len, &a);
    cr_expect_eq(st, want, "%s: status %s (%s), want %s", what, sc_strerror(st),
                 sc_last_message(), sc_strerror(want));
    cr_expect(a.ndim == 7 && a.shape[0] == 1 && a.shape[3] == 4 && a.data == &sentinel,
              "%s: output touched", what);
    cr_expect(strncmp(sc_last_message(), "npy: ", 5) == 0, "%s: message '%s'", what,
              sc_last_message());
    if (st == SC_OK) sc_array_release(&a);
}

static void expect_reject_dict(const char *dict, sc_status want)
{
    unsigned char buf[512];
    float data[6] = {0};
    size_t len = make_npy(buf, sizeof buf, 1, dict, data, sizeof data);
    expect_reject(buf, len, want, dict);
}

static sc_array parse_ok(const void *buf, size_t len, const char *what)
{
    sc_array a;
    memset(&a, 0, sizeof a);
    cr_assert_eq(sc_npy_parse(buf, len, &a), SC_OK, "%s: %s", what, sc_last_message());
    return a;
}

/* ---- round trips ------------------------------------------------------------------- */

static void check_roundtrip(const char *dir, int ndim, const int64_t *shape)
{
    int64_t count = 1;
    for (int d = 0; d < ndim; ++d) count *= shape[d];
    float *x = sc_malloc((size_t)count * sizeof *x + 1);
    cr_assert_not_null(x);
    for (int64_t i = 0; i < count; ++i) x[i] = (float)i * 0.25f - 3.0f + (float)ndim;
    if (count > 2) {
        x[0] = -0.0f;
        x[1] = INFINITY;
        x[2] = 0x1p-149f;  /* smallest subnormal float */
    }
    char path[128];
    snprintf(path, sizeof path, "%s/r%d.npy", dir, ndim);
    cr_assert_eq(sc_npy_write(path, ndim, shape, x), SC_OK, "%s", sc_last_message());

    /* the file: v1.0, data at a multiple of 64, exactly the NumPy-style dict */
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    size_t data_off = (size_t)sb.st_size - (size_t)count * 4;
    cr_expect_eq(data_off % 64, 0, "data offset %zu", data_off);
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp);
    unsigned char head[256];
    size_t got = fread(head, 1, data_off < sizeof head ? data_off : sizeof head, fp);
    fclose(fp);
    cr_assert_eq(got, data_off);
    cr_expect_eq(memcmp(head, "\x93NUMPY\x01\x00", 8), 0);
    cr_expect_eq(head[8] | head[9] << 8, (int)data_off - 10);
    cr_expect_eq(head[data_off - 1], '\n');
    static const char *const dicts[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 3, 2), }",
    };
    cr_expect_eq(memcmp(head + 10, dicts[ndim], strlen(dicts[ndim])), 0, "dict: %.*s",
                 (int)data_off - 10, head + 10);

    sc_array a;
    cr_assert_eq(sc_npy_read(path, &a), SC_OK, "%s", sc_last_message());
    cr_expect_eq(a.ndim, ndim);
    for (int d = 0; d < ndim; ++d) cr_expect_eq(a.shape[d], shape[d]);
    for (int64_t i = 0; i < count; ++i)
        cr_expect_eq(f32_bits(a.data[i]), f32_bits(x[i]), "rank %d [%lld]: %a vs %a", ndim,
                     (long long)i, (double)a.data[i], (double)x[i]);
    sc_array_release(&a);
    cr_expect_null(a.data);
    sc_array_release(&a);  /* twice is fine */
    sc_array_release(NULL);
    sc_free(x);
}

Test(npy, roundtrip_ranks_0_to_4)
{
    char dir[64];
    tio_make_dir(dir);
    const int64_t shapes[5][4] = {{0}, {5}, {2, 3}, {2, 3, 4}, {2, 1, 3, 2}};
    for (int ndim = 0; ndim <= 4; ++ndim) check_roundtrip(dir, ndim, shapes[ndim]);
    cr_expect_eq(tio_count_entries(dir), 5, "no temporary files left");
    tio_remove_dir(dir);
}

Test(npy, roundtrip_empty_array)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "empty.npy");
    const int64_t shape[2] = {0, 3};
    cr_assert_eq(sc_npy_write(path, 2, shape, NULL), SC_OK, "%s", sc_last_message());
    sc_array a;
    cr_assert_eq(sc_npy_read(path, &a), SC_OK, "%s", sc_last_message());
    cr_expect(a.ndim == 2 && a.shape[0] == 0 && a.shape[1] == 3);
    sc_array_release(&a);
    tio_remove_dir(dir);
}

/* ---- conversions ------------------------------------------------------------------- */

Test(npy, float64_rounds_to_nearest)
{
    const double d[6] = {1.0, -2.5, 0.1, 1e-50, 3.5e38, 0x1.000001p0};
    const uint32_t want[6] = {0x3f800000u, 0xc0200000u, 0x3dcccccdu, 0x00000000u,
                              0x7f800000u /* beyond FLT_MAX */, 0x3f800000u /* tie to even */};
    unsigned char buf[256], raw[48];
    for (int i = 0; i < 6; ++i) {
        uint64_t b;
        memcpy(&b, &d[i], 8);
        put_le(raw + 8 * i, b, 8);
    }
    size_t len = make_npy(buf, sizeof buf, 1,
                          "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", raw, 48);
    sc_array a = parse_ok(buf, len, "f8");
    cr_expect(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3);
    for (int i = 0; i < 6; ++i)
        cr_expect_eq(f32_bits(a.data[i]), want[i], "[%d] %a -> %a", i, d[i], (double)a.data[i]);
    sc_array_release(&a);
}

Test(npy, float16_known_values)
{
    const uint16_t h[11] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400,
                            0x7c00, 0xfc00, 0x8000, 0x3555, 0x8001};
    const float want[11] = {1.0f, -2.0f, 65504.0f, 0x1p-24f, 0x1.ff8p-15f, 0x1p-14f,
                            INFINITY, -INFINITY, -0.0f, 0x1.554p-2f, -0x1p-24f};
    unsigned char buf[256], raw[22];
    for (int i = 0; i < 11; ++i) put_le(raw + 2 * i, h[i], 2);
    size_t len = make_npy(buf, sizeof buf, 1,
                          "{'descr': '<f2', 'fortran_order': False, 'shape': (11,), }", raw, 22);
    sc_array a = parse_ok(buf, len, "f2");
    for (int i = 0; i < 11; ++i)
        cr_expect_eq(f32_bits(a.data[i]), f32_bits(want[i]), "half %#06x -> %a, want %a", h[i],
                     (double)a.data[i], (double)want[i]);
    sc_array_release(&a);
}

/* Every one of the 65536 halves against the textbook formula in double:
 * (-1)^s * 2^(e-15) * (1 + m/1024) for normals, (-1)^s * 2^-24 * m for subnormals. */
Test(npy, float16_all_values)
{
    static unsigned char buf[128 + 2 * 65536];
    static unsigned char raw[2 * 65536];
    for (uint32_t i = 0; i < 65536; ++i) put_le(raw + 2 * i, i, 2);
    size_t len = make_npy(buf, sizeof buf, 1,
                          "{'descr': '<f2', 'fortran_order': False, 'shape': (65536,), }", raw,
                          sizeof raw);
    sc_array a = parse_ok(buf, len, "all halves");
    int bad = 0;
    for (uint32_t i = 0; i < 65536; ++i) {
        int s = (int)(i >> 15), e = (int)(i >> 10) & 31, m = (int)(i & 1023);
        float got = a.data[i];
        if (e == 31) {
            bool ok = m == 0 ? isinf(got) && (signbit(got) != 0) == s
                             : isnan(got) && (f32_bits(got) & 0x7fffff) == (uint32_t)m << 13 &&
                                   (signbit(got) != 0) == s;
            if (!ok && bad++ < 5) cr_expect(ok, "half %#06x -> %a", i, (double)got);
            continue;
        }
        double v = e == 0 ? ldexp(m, -24) : ldexp(1.0 + m / 1024.0, e - 15);
        if (s) v = -v;
        bool ok = (double)got == v && (signbit(got) != 0) == s;
        if (!ok && bad++ < 5) cr_expect(ok, "half %#06x -> %a, want %a", i, (double)got, v);
    }
    cr_expect_eq(bad, 0, "%d halves converted wrongly", bad);
    sc_array_release(&a);
}

/* Fortran order: element (i0, .., i3) sits at i0 + n0 * (i1 + n1 * (i2 + n2 * i3)). */
static void check_fortran(int ndim, const int64_t *n, const char *descr, int itemsize)
{
    int64_t e[4] = {1, 1, 1, 1};
    for (int d = 0; d < ndim; ++d) e[d] = n[d];
    int64_t count = e[0] * e[1] * e[2] * e[3];
    static unsigned char raw[8 * 256], buf[64 * 4 + 8 * 256];
    for (int64_t i0 = 0; i0 < e[0]; ++i0)
        for (int64_t i1 = 0; i1 < e[1]; ++i1)
            for (int64_t i2 = 0; i2 < e[2]; ++i2)
                for (int64_t i3 = 0; i3 < e[3]; ++i3) {
                    double v = (double)(1000 * i0 + 100 * i1 + 10 * i2 + i3);
                    int64_t off = i0 + e[0] * (i1 + e[1] * (i2 + e[2] * i3));
                    if (itemsize == 8) {
                        uint64_t b;
                        memcpy(&b, &v, 8);
                        put_le(raw + 8 * off, b, 8);
                    } else {
                        put_le(raw + 4 * off, f32_bits((float)v), 4);
                    }
                }
    char dict[160], shape[64];
    int k = snprintf(shape, sizeof shape, "(");
    for (int d = 0; d < ndim; ++d) k += snprintf(shape + k, sizeof shape - (size_t)k, "%lld, ",
                                                 (long long)n[d]);
    snprintf(shape + k, sizeof shape - (size_t)k, ")");
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': True, 'shape': %s, }", descr,
             shape);
    size_t len = make_npy(buf, sizeof buf, 1, dict, raw, (size_t)count * (size_t)itemsize);
    sc_array a = parse_ok(buf, len, dict);
    cr_expect_eq(a.ndim, ndim);
    int64_t c = 0;
    for (int64_t i0 = 0; i0 < e[0]; ++i0)
        for (int64_t i1 = 0; i1 < e[1]; ++i1)
            for (int64_t i2 = 0; i2 < e[2]; ++i2)
                for (int64_t i3 = 0; i3 < e[3]; ++i3, ++c)
                    cr_expect_eq(a.data[c], (float)(1000 * i0 + 100 * i1 + 10 * i2 + i3),
                                 "%s [%lld %lld %lld %lld] = %g", dict, (long long)i0,
                                 (long long)i1, (long long)i2, (long long)i3,
                                 (double)a.data[c]);
    sc_array_release(&a);
}

Test(npy, fortran_order_transposed)
{
    /* (2, 3) by hand: the file holds columns 0 10 | 1 11 | 2 12 */
    const float col[6] = {0, 10, 1, 11, 2, 12}, want[6] = {0, 1, 2, 10, 11, 12};
    unsigned char buf[256];
    size_t len = make_npy(buf, sizeof buf, 1,
                          "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", col,
                          sizeof col);
    sc_array a = parse_ok(buf, len, "fortran 2x3");
    for (int i = 0; i < 6; ++i) cr_expect_eq(a.data[i], want[i], "[%d] %g", i, (double)a.data[i]);
    sc_array_release(&a);

    const int64_t s1[1] = {5}, s3[3] = {2, 3, 4}, s4[4] = {3, 1, 4, 2}, s4b[4] = {2, 3, 2, 3};
    check_fortran(1, s1, "<f4", 4);
    check_fortran(3, s3, "<f4", 4);
    check_fortran(4, s4, "<f8", 8);
    check_fortran(4, s4b, "<f4", 4);
}

/* ---- header variants ---------------------------------------------------------------- */

Test(npy, versions_2_and_3)
{
    const float x[4] = {1, 2, 3, 4};
    unsigned char buf[256];
    for (int major = 2; major <= 3; ++major) {
        size_t len = make_npy(buf, sizeof buf, major,
                              "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", x,
                              sizeof x);
        cr_expect_eq(buf[8] | buf[9] << 8 | buf[10] << 16 | buf[11] << 24, 128 - 12);
        sc_array a = parse_ok(buf, len, major == 2 ? "v2" : "v3");
        cr_expect(a.ndim == 1 && a.shape[0] == 4);
        for (int i = 0; i < 4; ++i) cr_expect_eq(a.data[i], x[i]);
        sc_array_release(&a);
    }
}

/* A v2 header longer than v1's 16-bit length can express. */
Test(npy, version_2_long_header)
{
    static unsigned char buf[80000];
    static char dict[70000];
    int n = snprintf(dict, sizeof dict, "{'shape': (1,), 'descr': '<f4', 'fortran_order': False}");
    memset(dict + n, ' ', 69000 - (size_t)n);
    dict[69000] = '\0';
    const float x = -7.25f;
    size_t len = make_npy(buf, sizeof buf, 2, dict, &x, 4);
    cr_expect_gt(buf[8] | buf[9] << 8 | buf[10] << 16, 65535);
    sc_array a = parse_ok(buf, len, "long v2");
    cr_expect(a.ndim == 1 && a.shape[0] == 1 && a.data[0] == -7.25f);
    sc_array_release(&a);
}

Test(npy, accepted_dict_spellings)
{
    static const char *const dicts[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
        "{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(2,3)}",
        "{ 'descr' : '|f4' ,\t'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }",
        "{'descr': '=f4', 'fortran_order': False, 'shape': (2L, 3L), }",
    };
    const float x[6] = {1, 2, 3, 4, 5, 6};
    unsigned char buf[256];
    for (size_t k = 0; k < sizeof dicts / sizeof dicts[0]; ++k) {
        size_t len = make_npy(buf, sizeof buf, 1, dicts[k], x, sizeof x);
        sc_array a = parse_ok(buf, len, dicts[k]);
        cr_expect(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3, "%s", dicts[k]);
        for (int i = 0; i < 6; ++i) cr_expect_eq(a.data[i], x[i], "%s", dicts[k]);
        sc_array_release(&a);
    }
    /* '|f8' and '=f2' as well */
    const double d = 2.5;
    size_t len = make_npy(buf, sizeof buf, 1,
                          "{'descr': '|f8', 'fortran_order': False, 'shape': (), }", &d, 8);
    sc_array a = parse_ok(buf, len, "|f8");
    cr_expect(a.ndim == 0 && a.data[0] == 2.5f);
    sc_array_release(&a);
    const unsigned char h[2] = {0x00, 0x3c};
    len = make_npy(buf, sizeof buf, 1, "{'descr': '=f2', 'fortran_order': False, 'shape': (1,)}",
                   h, 2);
    a = parse_ok(buf, len, "=f2");
    cr_expect(a.ndim == 1 && a.data[0] == 1.0f);
    sc_array_release(&a);
}

/* ---- NumPy-written corpus (tests/io/corpus/npy/make_corpus.py, numpy 1.24) ---------- */

static sc_array read_corpus(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", NPY_CORPUS_DIR, name);
    sc_array a;
    cr_assert_eq(sc_npy_read(path, &a), SC_OK, "%s: %s", name, sc_last_message());
    return a;
}

Test(npy_corpus, float32_c_order)
{
    sc_array a = read_corpus("f32_c_2x3x4.npy");
    cr_assert(a.ndim == 3 && a.shape[0] == 2 && a.shape[1] == 3 && a.shape[2] == 4);
    for (int i = 0; i < 24; ++i)
        cr_expect_eq(a.data[i], 0.5f * (float)i - 3.0f, "[%d] %g", i, (double)a.data[i]);
    sc_array_release(&a);
}

Test(npy_corpus, float64_fortran)
{
    sc_array a = read_corpus("f64_fortran_3x4.npy");
    cr_assert(a.ndim == 2 && a.shape[0] == 3 && a.shape[1] == 4);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j) {
            float want = i == 2 && j == 3 ? 0x1.99999ap-4f : (float)(10 * i + j) + 0.25f;
            cr_expect_eq(a.data[4 * i + j], want, "[%d, %d] %a", i, j,
                         (double)a.data[4 * i + j]);
        }
    sc_array_release(&a);
}

Test(npy_corpus, float16_specials)
{
    sc_array a = read_corpus("f16_specials.npy");
    cr_assert(a.ndim == 1 && a.shape[0] == 11);
    const float want[11] = {1.0f, -2.0f, 65504.0f, 0x1p-24f, 0x1.ff8p-15f, 0x1p-14f,
                            INFINITY, -INFINITY, NAN, -0.0f, 0x1.554p-2f};
    for (int i = 0; i < 11; ++i) {
        if (i == 8) {
            cr_expect(isnan(a.data[i]), "[8] %a is not nan", (double)a.data[i]);
            continue;
        }
        cr_expect_eq(f32_bits(a.data[i]), f32_bits(want[i]), "[%d] %a want %a", i,
                     (double)a.data[i], (double)want[i]);
    }
    sc_array_release(&a);
}

Test(npy_corpus, versions_2_and_3)
{
    const char *names[2] = {"f32_v2_2x2.npy", "f32_v3_2x2.npy"};
    const uint32_t want[4] = {0x3fc00000u, 0xbf000000u, 0x3a83126fu, 0x7149f2cau};
    for (int k = 0; k < 2; ++k) {
        sc_array a = read_corpus(names[k]);
        cr_assert(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 2, "%s", names[k]);
        for (int i = 0; i < 4; ++i)
            cr_expect_eq(f32_bits(a.data[i]), want[i], "%s [%d] %a", names[k], i,
                         (double)a.data[i]);
        sc_array_release(&a);
    }
}

Test(npy_corpus, scalar)
{
    sc_array a = read_corpus("f32_scalar.npy");
    cr_expect_eq(a.ndim, 0);
    cr_expect_eq(a.data[0], 3.5f);
    sc_array_release(&a);
}

/* ---- malformed files ---------------------------------------------------------------- */

static const char good_dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

Test(npy_reject, truncated)
{
    unsigned char buf[256];
    const float x[6] = {1, 2, 3, 4, 5, 6};
    size_t len = make_npy(buf, sizeof buf, 1, good_dict, x, sizeof x);
    cr_assert_eq(len, 128 + 24);
    const size_t cuts[] = {0, 1, 5, 6, 8, 9, 10, 11, 40, 126, 127, 128, 129, 140, 148, 151};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; ++k) {
        char what[32];
        snprintf(what, sizeof what, "cut at %zu", cuts[k]);
        expect_reject(buf, cuts[k], SC_EFORMAT, what);
    }
    /* v2: truncated inside its 4-byte length */
    len = make_npy(buf, sizeof buf, 2, good_dict, x, sizeof x);
    expect_reject(buf, 11, SC_EFORMAT, "v2 cut at 11");
}

Test(npy_reject, lying_header_length)
{
    unsigned char buf[256];
    const float x[6] = {1, 2, 3, 4, 5, 6};
    size_t len = make_npy(buf, sizeof buf, 1, good_dict, x, sizeof x);
    cr_assert_eq(buf[8] | buf[9] << 8, 118);
    /* too short (inside the dict or padding), too long (into the data, past the end) */
    const int lies[] = {0, 1, 53, 117, 119, 118 + 8, 118 + 24, 118 + 25, 60000};
    for (size_t k = 0; k < sizeof lies / sizeof lies[0]; ++k) {
        put_le(buf + 8, (uint64_t)lies[k], 2);
        char what[32];
        snprintf(what, sizeof what, "header length %d", lies[k]);
        expect_reject(buf, len, SC_EFORMAT, what);
    }
    /* v2 length with the high bytes set */
    len = make_npy(buf, sizeof buf, 2, good_dict, x, sizeof x);
    buf[11] = 0x80;
    expect_reject(buf, len, SC_EFORMAT, "v2 header length 2^31 + 116");
}

Test(npy_reject, bad_magic_and_version)
{
    unsigned char buf[256];
    const float x[6] = {0};
    size_t len = make_npy(buf, sizeof buf, 1, good_dict, x, sizeof x);
    buf[0] = 0x92;
    expect_reject(buf, len, SC_EFORMAT, "magic byte 0");
    buf[0] = 0x93;
    buf[5] = 'Z';
    expect_reject(buf, len, SC_EFORMAT, "NUMPZ");
    buf[5] = 'Y';
    const unsigned char versions[][2] = {{0, 0}, {4, 0}, {1, 1}, {2, 1}, {255, 0}};
    for (size_t k = 0; k < sizeof versions / sizeof versions[0]; ++k) {
        buf[6] = versions[k][0];
        buf[7] = versions[k][1];
        char what[32];
        snprintf(what, sizeof what, "version %d.%d", versions[k][0], versions[k][1]);
        expect_reject(buf, len, SC_EUNSUPPORTED, what);
    }
}

Test(npy_reject, shapes)
{
    expect_reject_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, "
                       "1099511627776), }", SC_EOVERFLOW);
    expect_reject_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,"
                       "), }", SC_EOVERFLOW);
    expect_reject_dict("{'descr': '<f4', 'fortran_order': False, 'shape': "
                       "(99999999999999999999,), }", SC_EOVERFLOW);
    expect_reject_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }",
                       SC_EFORMAT);
    expect_reject_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
                       SC_EFORMAT);
    expect_reject_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2, 1, 3), }",
                       SC_EUNSUPPORTED);
}

Test(npy_reject, dtypes)
{
    static const char *const descrs[] = {"<i4", ">f4", ">f8", ">f2", "<c8", "|u1", "<f16",
                                         "float32", "f4", "<f", "", "<f4 "};
    for (size_t k = 0; k < sizeof descrs / sizeof descrs[0]; ++k) {
        char dict[160];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (6,), }",
                 descrs[k]);
        expect_reject_dict(dict, SC_EUNSUPPORTED);
    }
    expect_reject_dict("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }",
                       SC_EUNSUPPORTED);
    expect_reject_dict("{'descr': '>f4', 'fortran_order': False, 'shape': (6,), }",
                       SC_EUNSUPPORTED);
    cr_expect(strstr(sc_last_message(), "big-endian") != NULL, "%s", sc_last_message());
}

Test(npy_reject, keys)
{
    expect_reject_dict("{'descr': '<f4', 'shape': (6,), }", SC_EFORMAT);
    cr_expect(strstr(sc_last_message(), "fortran_order") != NULL, "%s", sc_last_message());
    expect_reject_dict("{'fortran_order': False, 'shape': (6,), }", SC_EFORMAT);
    expect_reject_dict("{'descr': '<f4', 'fortran_order': False}", SC_EFORMAT);
    expect_reject_dict("{}", SC_EFORMAT);
    expect_reject_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}",
                       SC_EFORMAT);
    cr_expect(strstr(sc_last_message(), "'x'") != NULL, "%s", sc_last_message());
    expect_reject_dict("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                       "'shape': (6,)}", SC_EFORMAT);
}

Test(npy_reject, dict_syntax)
{
    static const char *const dicts[] = {
        "'descr': '<f4', 'fortran_order': False, 'shape': (6,)",            /* no braces */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)",           /* no '}' */
        "{'descr' '<f4', 'fortran_order': False, 'shape': (6,)}",           /* no ':' */
        "{'descr': '<f4' 'fortran_order': False, 'shape': (6,)}",           /* no ',' */
        "{'descr': '<f4',, 'fortran_order': False, 'shape': (6,)}",         /* ',,' */
        "{, 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}",        /* leading ',' */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6,),,}",        /* ',,' at end */
        "{'descr': '<f4, 'fortran_order': False, 'shape': (6,)}",           /* quote */
        "{'descr\": '<f4', 'fortran_order': False, 'shape': (6,)}",         /* mixed quotes */
        "{descr: '<f4', 'fortran_order': False, 'shape': (6,)}",            /* bare key */
        "{'descr': '<f4', 'fortran_order': 0, 'shape': (6,)}",              /* not a bool */
        "{'descr': '<f4', 'fortran_order': false, 'shape': (6,)}",          /* lower case */
        "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (6,)}",         /* trailing junk */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6)}",           /* int, not tuple */
        "{'descr': '<f4', 'fortran_order': False, 'shape': [6]}",           /* list */
        "{'descr': '<f4', 'fortran_order': False, 'shape': 6}",             /* bare int */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}",         /* no ',' */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,,3)}",        /* ',,' */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (,)}",           /* lone ',' */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (06,)}",         /* leading 0 */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6.0,)}",        /* float */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (+6,)}",         /* sign */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} x",        /* after '}' */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)}}",         /* extra '}' */
        "{'de\\x73cr': '<f4', 'fortran_order': False, 'shape': (6,)}",      /* escape */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)}\n ",       /* '\n' inside */
        "{'d\xc3\xa9scr': '<f4', 'fortran_order': False, 'shape': (6,)}",   /* non-ASCII */
        "",
    };
    for (size_t k = 0; k < sizeof dicts / sizeof dicts[0]; ++k)
        expect_reject_dict(dicts[k], SC_EFORMAT);

    /* a NUL byte inside the header */
    unsigned char buf[256];
    const float x[6] = {0};
    size_t len = make_npy(buf, sizeof buf, 1, good_dict, x, sizeof x);
    buf[10 + 3] = '\0';
    expect_reject(buf, len, SC_EFORMAT, "NUL in header");
    /* header padded with something other than spaces before '\n' */
    len = make_npy(buf, sizeof buf, 1, good_dict, x, sizeof x);
    buf[126] = 'x';
    expect_reject(buf, len, SC_EFORMAT, "padding not spaces");
}

Test(npy_reject, data_length)
{
    unsigned char buf[256];
    const float x[8] = {0};
    size_t len = make_npy(buf, sizeof buf, 1, good_dict, x, 24);
    expect_reject(buf, len - 4, SC_EFORMAT, "one float short");
    expect_reject(buf, len - 1, SC_EFORMAT, "one byte short");
    len = make_npy(buf, sizeof buf, 1, good_dict, x, 25);
    expect_reject(buf, len, SC_EFORMAT, "one byte extra");
    cr_expect(strstr(sc_last_message(), "trailing") != NULL, "%s", sc_last_message());
    len = make_npy(buf, sizeof buf, 1, good_dict, x, 32);
    expect_reject(buf, len, SC_EFORMAT, "two floats extra");
    len = make_npy(buf, sizeof buf, 1,
                   "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", x, 32);
    expect_reject(buf, len, SC_EFORMAT, "f8 data short");
    len = make_npy(buf, sizeof buf, 1,
                   "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", x, 4);
    expect_reject(buf, len, SC_EFORMAT, "data for an empty array");
}

/* ---- sc_npy_read / sc_npy_write through files -------------------------------------- */

Test(npy_file, read_errors_name_the_file)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "missing.npy");
    sc_array a = {0, {0}, NULL};
    cr_expect_eq(sc_npy_read(path, &a), SC_EIO);
    cr_expect(strstr(sc_last_message(), path) != NULL, "%s", sc_last_message());
    cr_expect_eq(sc_npy_read(dir, &a), SC_EIO);

    snprintf(path, sizeof path, "%s/bad.npy", dir);
    tio_write_bytes(path, "\x93NUMPY\x09\x00", 8);
    cr_expect_eq(sc_npy_read(path, &a), SC_EFORMAT);
    cr_expect(strstr(sc_last_message(), path) != NULL, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), "truncated") != NULL, "%s", sc_last_message());
    cr_expect_null(a.data);
    tio_remove_dir(dir);
}

Test(npy_file, allocation_failures)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "a.npy");
    const int64_t shape[2] = {3, 5};
    float x[15];
    for (int i = 0; i < 15; ++i) x[i] = (float)i;
    cr_assert_eq(sc_npy_write(path, 2, shape, x), SC_OK);
    /* fail the 1st, 2nd, ... allocation until the read succeeds: each failure is clean */
    for (uint64_t n = 1;; ++n) {
        sc_array a = {0, {0}, NULL};
        sc_alloc_fail_at(n);
        sc_status st = sc_npy_read(path, &a);
        sc_alloc_fail_at(0);
        if (st == SC_OK) {
            cr_expect_geq(n, 2, "the read allocates twice (file, array)");
            cr_expect_eq(a.data[14], 14.0f);
            sc_array_release(&a);
            break;
        }
        cr_expect_eq(st, SC_ENOMEM, "allocation %llu: %s", (unsigned long long)n,
                     sc_last_message());
        cr_expect_null(a.data);
        cr_assert_lt(n, 10);
    }
    for (uint64_t n = 1; n <= 2; ++n) {  /* the write allocates the two path copies */
        sc_alloc_fail_at(n);
        cr_expect_eq(sc_npy_write(path, 2, shape, x), SC_ENOMEM);
        sc_alloc_fail_at(0);
    }
    cr_expect_eq(tio_count_entries(dir), 1);
    tio_remove_dir(dir);
}

Test(npy_file, write_argument_errors)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "w.npy");
    const int64_t ok[2] = {2, 2}, neg[2] = {2, -1}, huge[2] = {INT64_C(1) << 40,
                                                                INT64_C(1) << 40};
    const float x[4] = {0};
    cr_expect_eq(sc_npy_write(path, 5, ok, x), SC_EINVAL);
    cr_expect_eq(sc_npy_write(path, -1, ok, x), SC_EINVAL);
    cr_expect_eq(sc_npy_write(path, 2, NULL, x), SC_EINVAL);
    cr_expect_eq(sc_npy_write(path, 2, neg, x), SC_EINVAL);
    cr_expect_eq(sc_npy_write(path, 2, ok, NULL), SC_EINVAL);
    cr_expect_eq(sc_npy_write(path, 2, huge, x), SC_EOVERFLOW);
    cr_expect_eq(sc_npy_write(NULL, 2, ok, x), SC_EINVAL);
    cr_expect_eq(tio_count_entries(dir), 0, "nothing written");
    tio_remove_dir(dir);
}

Test(npy_file, overwrite_replaces_whole_file)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "w.npy");
    static float big[1000];
    for (int i = 0; i < 1000; ++i) big[i] = (float)i;
    const int64_t sb[1] = {1000}, ss[2] = {1, 2};
    const float small[2] = {-1.0f, 2.0f};
    cr_assert_eq(sc_npy_write(path, 1, sb, big), SC_OK);
    cr_assert_eq(sc_npy_write(path, 2, ss, small), SC_OK);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_size, 128 + 8, "only the new file's bytes");
    sc_array a;
    cr_assert_eq(sc_npy_read(path, &a), SC_OK, "%s", sc_last_message());
    cr_expect(a.ndim == 2 && a.shape[0] == 1 && a.shape[1] == 2 && a.data[0] == -1.0f &&
              a.data[1] == 2.0f);
    sc_array_release(&a);
    cr_expect_eq(tio_count_entries(dir), 1);
    tio_remove_dir(dir);
}

Test(npy_file, write_failures_leave_no_trace)
{
    char dir[64], path[160];
    tio_make_dir(dir);
    const int64_t shape[1] = {2};
    const float x[2] = {1, 2};
    snprintf(path, sizeof path, "%s/no/such/dir/w.npy", dir);
    cr_expect_eq(sc_npy_write(path, 1, shape, x), SC_EIO);
    cr_expect(strstr(sc_last_message(), path) != NULL, "%s", sc_last_message());
    cr_expect_eq(tio_count_entries(dir), 0, "no temporary files left");

    /* the destination is a directory: refused, the directory and its contents survive */
    char inner[192];
    snprintf(path, sizeof path, "%s/d.npy", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(inner, sizeof inner, "%s/keep", path);
    tio_write_bytes(inner, "kept", 4);
    cr_expect_eq(sc_npy_write(path, 1, shape, x), SC_EIO);
    cr_expect(strstr(sc_last_message(), "directory") != NULL, "%s", sc_last_message());
    tio_expect_file(inner, "kept");
    cr_expect_eq(tio_count_entries(dir), 1);
    tio_remove_dir(dir);
}

/* A .sconv (safetensors) file handed to the .npy reader is named as such. */
Test(npy_reject, other_formats_are_named)
{
    static const unsigned char st[] = "\x0e\x00\x00\x00\x00\x00\x00\x00{\"__metadata__\":{}}";
    expect_reject(st, sizeof st - 1, SC_EFORMAT, "safetensors");
    cr_expect_str_eq(sc_last_message(), "npy: not a .npy file: it starts like a .sconv or "
                     "safetensors file, not with \\x93NUMPY");
    expect_reject("PK\x03\x04\x14\x00\x00\x00\x00\x00", 10, SC_EFORMAT, "zip");
    cr_expect(strstr(sc_last_message(), "it starts like a zip archive") != NULL, "%s",
              sc_last_message());
    expect_reject("hello, world", 12, SC_EFORMAT, "text");
    cr_expect_str_eq(sc_last_message(), "npy: not a .npy file (bad magic): it does not start "
                     "with \\x93NUMPY");
    expect_reject("\x93NUM", 4, SC_EFORMAT, "cut inside the magic");
    cr_expect(strstr(sc_last_message(), "truncated") != NULL, "%s", sc_last_message());
}
