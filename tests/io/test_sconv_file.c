/* tests/io/test_sconv_file.c: .sconv round trips, structure, and a corpus of malformed files */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "io/sconv_format.h"
#include "layer/layer_impl.h"
#include "sconv.h"

#ifndef SCONV_CORPUS_DIR
#error "SCONV_CORPUS_DIR must name tests/io/corpus/sconv"
#endif

/* ---- helpers ------------------------------------------------------------------------- */

static uint64_t rng_state;
static uint32_t rnd(void)  /* xorshift64*, fixed seeds */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* n random weights, about zero_pct percent of them zero, from `seed`; free() them. */
static float *random_weights(int64_t n, int zero_pct, uint64_t seed)
{
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 7;
    float *w = malloc((size_t)n * sizeof *w);
    cr_assert_not_null(w);
    for (int64_t i = 0; i < n; ++i)
        w[i] = (int)(rnd() % 100) < zero_pct ? 0.0f : ((float)(rnd() % 20001) - 10000.0f) / 997.0f;
    return w;
}

/* The params both layer makers share: stride 2x1, pad top 1, dilation 1x2, `groups`. */
static sc_pack_options pack_options(const char *name, sc_pack_order order, int64_t groups)
{
    sc_pack_options opt = sc_pack_options_default();
    opt.name = name;
    opt.order = order;
    opt.params.groups = groups;
    opt.params.stride_h = 2;
    opt.params.pad_top = 1;
    opt.params.dil_w = 2;
    opt.method = "l1";
    return opt;
}

/* A packed layer of random weights (about zero_pct percent zeros), also padded 3 on the right. */
static sc_layer *make_layer(const char *name, int64_t oc, int64_t icg, int64_t kh, int64_t kw,
                            int64_t groups, sc_pack_order order, bool bias, int zero_pct,
                            uint64_t seed)
{
    const sc_wdesc wd = {SC_OHWI, oc, icg, kh, kw};
    float *w = random_weights(oc * icg * kh * kw, zero_pct, seed);
    float *b = malloc((size_t)oc * sizeof *b);
    for (int64_t o = 0; o < oc; ++o) b[o] = (float)o - 1.5f;
    sc_pack_options opt = pack_options(name, order, groups);
    opt.params.pad_right = 3;
    opt.bias = bias ? b : NULL;
    opt.method_params = "amount=0.6 convention=\"torch\"";
    sc_layer *l = NULL;
    cr_assert_eq(sc_layer_pack(&wd, w, NULL, &opt, &l), SC_OK, "%s", sc_last_message());
    free(w);
    free(b);
    return l;
}

static void expect_same_layer(const sc_layer *a, const sc_layer *b)
{
    sc_layer_info x, y;
    sc_layer_get_info(a, &x);
    sc_layer_get_info(b, &y);
    cr_expect_str_eq(x.name, y.name);
    cr_expect(x.wdesc.layout == y.wdesc.layout && x.wdesc.oc == y.wdesc.oc &&
              x.wdesc.icg == y.wdesc.icg && x.wdesc.kh == y.wdesc.kh && x.wdesc.kw == y.wdesc.kw,
              "%s: dims/layout", x.name);
    cr_expect(memcmp(&x.params, &y.params, sizeof x.params) == 0, "%s: conv params", x.name);
    cr_expect_eq(x.order, y.order);
    cr_expect_eq(x.nnz, y.nnz);
    cr_expect_str_eq(x.method, y.method);
    cr_expect_str_eq(x.method_params, y.method_params);
    cr_expect(x.l1_kept == y.l1_kept || (isnan(x.l1_kept) && isnan(y.l1_kept)), "%s: l1", x.name);
    cr_expect(x.l2_kept == y.l2_kept || (isnan(x.l2_kept) && isnan(y.l2_kept)), "%s: l2", x.name);
    cr_expect_eq(x.bias == NULL, y.bias == NULL);
    if (x.bias && y.bias) cr_expect_arr_eq(x.bias, y.bias, (size_t)x.wdesc.oc * 4);
    sc_csr_view u, v;
    sc_layer_get_csr(a, &u);
    sc_layer_get_csr(b, &v);
    cr_assert_eq(u.index_bytes, v.index_bytes);
    cr_expect_arr_eq(u.row_ptr, v.row_ptr, (size_t)(u.rows + 1) * 8, "%s: row_ptr", x.name);
    cr_expect_arr_eq(u.col_idx, v.col_idx, (size_t)u.nnz * (size_t)u.index_bytes, "%s: col", x.name);
    cr_expect_arr_eq(u.val, v.val, (size_t)u.nnz * 4, "%s: values", x.name);
}

static char tmpdir[64];
static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/sconv-file-test-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}
static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))) {
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            remove(p);
        }
    if (d) closedir(d);
    rmdir(tmpdir);
}

typedef struct blob {
    uint8_t *b;
    size_t len;
} blob;

static blob slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    blob r = {NULL, (size_t)ftell(f)};
    fseek(f, 0, SEEK_SET);
    r.b = malloc(r.len + 1);
    cr_assert_eq(fread(r.b, 1, r.len, f), r.len);
    fclose(f);
    return r;
}

/* The bytes sc_file_write produces for these layers. */
static blob write_blob(const sc_layer *const *layers, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/x.sconv", tmpdir);
    cr_assert_eq(sc_file_write(path, layers, n), SC_OK, "%s", sc_last_message());
    return slurp(path);
}

/* Independent CRC-32 (bit by bit, no table): the oracle for the file checksum. */
static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; ++i) {
        crc ^= p[i];
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static size_t hdr_len(const blob *f)
{
    size_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | f->b[i];
    return n;
}

static json_t *header_of(const blob *f)
{
    json_error_t e;
    json_t *h = json_loadb((const char *)f->b + 8, hdr_len(f), 0, &e);
    cr_assert_not_null(h, "%s", e.text);
    return h;
}

/* A file from a header object and data bytes (header padded with spaces to 8). */
static blob rebuild(json_t *h, const uint8_t *data, size_t data_len)
{
    char *text = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
    const size_t tl = strlen(text), padded = (tl + 7) / 8 * 8;
    blob r = {malloc(8 + padded + data_len + 1), 8 + padded + data_len};
    for (int i = 0; i < 8; ++i) r.b[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(r.b + 8, text, tl);
    memset(r.b + 8 + tl, ' ', padded - tl);
    if (data_len) memcpy(r.b + 8 + padded, data, data_len);
    free(text);
    return r;
}

/* Offsets of tensor `name` in the data buffer. */
static void range_of(json_t *h, const char *name, size_t *begin, size_t *end)
{
    json_t *o = json_object_get(json_object_get(h, name), "data_offsets");
    cr_assert_not_null(o, "tensor %s", name);
    *begin = (size_t)json_integer_value(json_array_get(o, 0));
    *end = (size_t)json_integer_value(json_array_get(o, 1));
}

/* Recompute layer's crc32 metadata from the tensors' bytes, as docs/format.md defines it. */
static void fix_crc(json_t *h, const uint8_t *data, const char *layer)
{
    static const char *const parts[4] = {"row_ptr", "col_idx", "values", "bias"};
    uint32_t crc = 0;
    char k[160];
    for (int i = 0; i < 4; ++i) {
        snprintf(k, sizeof k, "%s.%s", layer, parts[i]);
        if (!json_object_get(h, k)) continue;
        size_t b, e;
        range_of(h, k, &b, &e);
        crc = crc32_bitwise(crc, data + b, e - b);
    }
    snprintf(k, sizeof k, "%s.crc32", layer);
    char v[16];
    snprintf(v, sizeof v, "%08x", (unsigned)crc);
    json_object_set_new(json_object_get(h, "__metadata__"), k, json_string(v));
}

static void set_meta(json_t *h, const char *key, const char *value)
{
    json_t *m = json_object_get(h, "__metadata__");
    if (value) json_object_set_new(m, key, json_string(value));
    else json_object_del(m, key);
}

/* The cases that change one metadata value (NULL removes the key). */
typedef struct meta_edit {
    const char *name, *key, *value;
} meta_edit;
static const meta_edit meta_edits[] = {
    {"negative-dims", "conv.oc", "-4"},
    {"dims-not-a-number", "conv.kh", "3x"},
    {"dims-overflow", "conv.icg", "99999999999999999999"},
    {"dims-leading-zero", "conv.kw", "03"},
    {"groups-not-dividing", "conv.groups", "3"},
    {"bad-padding", "conv.padding", "1,0,0"},
    {"zero-stride", "conv.stride", "0,1"},
    {"missing-metadata", "conv.kh", NULL},
    {"sparsity-disagrees", "conv.sparsity", "0.25"},
    {"bad-layout", "conv.layout", "nchw"},
    {"newer-version", "format_version", "3"},
    {"unknown-kind", "conv.kind", "deconv"},
    {"kind-not-canonical", "conv.kind", "Conv_Transpose"},
    {"transposed-in-version-1", "conv.kind", "conv_transpose"},
    {"output-padding-on-conv", "conv.output_padding", "1,0"},
    {"output-padding-one-value", "conv.output_padding", "0"},
    {"bad-version", "format_version", "1.0"},
    {"not-sconv", "format", "pt"},
    {"duplicate-layer-names", "layers", "[\"conv\",\"conv\"]"},
};

static const meta_edit *find_meta_edit(const char *name)
{
    for (size_t i = 0; i < sizeof meta_edits / sizeof meta_edits[0]; ++i)
        if (!strcmp(meta_edits[i].name, name)) return &meta_edits[i];
    return NULL;
}

/* A conv_transpose layer: weights (Cin = oc, Cout/groups = icg, kh, kw) packed as OIHW
 * rows, the shared pack_options params, output padding (oph, opw). */
static sc_layer *make_transposed(const char *name, int64_t oc, int64_t icg, int64_t groups,
                                 sc_pack_order order, int64_t oph, int64_t opw, uint64_t seed)
{
    const sc_wdesc wd = {SC_OIHW, oc, icg, 3, 2};
    float *w = random_weights(oc * icg * 3 * 2, 40, seed);
    sc_pack_options opt = pack_options(name, order, groups);
    opt.kind = SC_LAYER_CONV_TRANSPOSE;
    opt.out_pad_h = oph;
    opt.out_pad_w = opw;
    sc_layer *l = NULL;
    cr_assert_eq(sc_layer_pack(&wd, w, NULL, &opt, &l), SC_OK, "%s", sc_last_message());
    free(w);
    return l;
}

/* ---- round trips ------------------------------------------------------------------- */

Test(sconv_file, crc32_matches_reference_values)
{
    cr_expect_eq(sc_crc32_update(0, "123456789", 9), 0xCBF43926u, "the CRC-32 check value");
    cr_expect_eq(crc32_bitwise(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    uint8_t buf[1000];
    rng_state = 99;
    for (size_t i = 0; i < sizeof buf; ++i) buf[i] = (uint8_t)rnd();
    const uint32_t a = sc_crc32_update(sc_crc32_update(0, buf, 300), buf + 300, 700);
    cr_expect_eq(a, crc32_bitwise(0, buf, sizeof buf), "incremental = one shot = bitwise");
}

Test(sconv_file, one_layer_round_trip, .init = make_tmpdir, .fini = remove_tmpdir)
{
    for (int order = 0; order < 2; ++order)
        for (int bias = 0; bias < 2; ++bias) {
            sc_layer *l = make_layer("conv1", 8, 3, 3, 3, 1, (sc_pack_order)order, bias, 60, 1);
            char path[128];
            snprintf(path, sizeof path, "%s/one.sconv", tmpdir);
            cr_assert_eq(sc_file_write(path, (const sc_layer *const *)&l, 1), SC_OK, "%s",
                         sc_last_message());
            sc_layer *r = NULL;
            cr_assert_eq(sc_layer_load(path, NULL, &r), SC_OK, "%s", sc_last_message());
            expect_same_layer(l, r);
            sc_layer_destroy(r);
            r = NULL;
            cr_assert_eq(sc_layer_load(path, "conv1", &r), SC_OK);
            sc_layer_destroy(r);
            sc_layer_destroy(l);
        }
}

Test(sconv_file, several_layers_both_widths, .init = make_tmpdir, .fini = remove_tmpdir)
{
    sc_layer *l[4] = {
        make_layer("conv1", 6, 3, 3, 3, 1, SC_PACK_CHW, true, 50, 2),
        make_layer("block.2/conv \"q\"", 8, 2, 1, 1, 4, SC_PACK_HWC, false, 30, 3),
        make_layer("wide", 2, 8000, 3, 3, 1, SC_PACK_HWC, true, 99, 4),  /* 72000 columns */
        make_layer("zero", 4, 2, 2, 2, 2, SC_PACK_CHW, false, 100, 5)};   /* nnz = 0 */
    sc_layer_info info;
    sc_layer_get_info(l[3], &info);
    cr_assert_eq(info.nnz, 0);
    sc_csr_view v;
    sc_layer_get_csr(l[2], &v);
    cr_assert_eq(v.index_bytes, 4);
    char path[128];
    snprintf(path, sizeof path, "%s/many.sconv", tmpdir);
    cr_assert_eq(sc_file_write(path, (const sc_layer *const *)l, 4), SC_OK, "%s", sc_last_message());
    sc_layer **all = NULL;
    size_t n = 0;
    cr_assert_eq(sc_file_read(path, &all, &n), SC_OK, "%s", sc_last_message());
    cr_assert_eq(n, 4);
    for (size_t i = 0; i < 4; ++i) expect_same_layer(l[i], all[i]);  /* file order kept */
    sc_layers_destroy(all, n);
    sc_layer *one = NULL;
    cr_assert_eq(sc_layer_load(path, "wide", &one), SC_OK);
    expect_same_layer(l[2], one);
    sc_layer_destroy(one);
    one = NULL;
    cr_expect_eq(sc_layer_load(path, NULL, &one), SC_EINVAL, "four layers: a name is needed");
    cr_expect(strstr(sc_last_message(), "'conv1'") && strstr(sc_last_message(), "'zero'"), "%s",
              sc_last_message());
    cr_expect_eq(sc_layer_load(path, "conv9", &one), SC_EINVAL);
    cr_expect(strstr(sc_last_message(), "no layer named 'conv9'") &&
              strstr(sc_last_message(), "'wide'"), "%s", sc_last_message());
    cr_expect_null(one);
    /* Structure: header padded to 8, tensors tiled in safetensors order and aligned. */
    blob f = slurp(path);
    cr_expect_eq(hdr_len(&f) % 8, 0);
    json_t *h = header_of(&f);
    const char *key;
    json_t *e;
    json_object_foreach(h, key, e) {
        if (!strcmp(key, "__metadata__")) continue;
        const char *dt = json_string_value(json_object_get(e, "dtype"));
        const int size = !strcmp(dt, "I64") ? 8 : !strcmp(dt, "U16") ? 2 : 4;
        size_t b, end;
        range_of(h, key, &b, &end);
        cr_expect_eq(b % (size_t)size, 0, "%s (%s) begins at %zu: aligned", key, dt, b);
    }
    json_t *m = json_object_get(h, "__metadata__");
    cr_expect_str_eq(json_string_value(json_object_get(m, "format")), "sconv");
    cr_expect_str_eq(json_string_value(json_object_get(m, "format_version")), "1");
    cr_expect_str_eq(json_string_value(json_object_get(m, "wide.oc")), "2");
    cr_expect_str_eq(json_string_value(json_object_get(m, "conv1.padding")), "1,0,0,3");
    cr_expect_str_eq(json_string_value(json_object_get(m, "conv1.layout")), "ohwi");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(h, "wide.col_idx"), "dtype")), "U32");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(h, "conv1.col_idx"), "dtype")), "U16");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(h, "conv1.row_ptr"), "dtype")), "I32");
    json_decref(h);
    free(f.b);
    for (int i = 0; i < 4; ++i) sc_layer_destroy(l[i]);
}

Test(sconv_file, optional_energy_and_wider_dtypes_accepted, .init = make_tmpdir, .fini = remove_tmpdir)
{
    sc_layer *l = make_layer("c", 4, 2, 3, 3, 1, SC_PACK_CHW, false, 40, 6);
    blob f = write_blob((const sc_layer *const *)&l, 1);
    json_t *h = header_of(&f);
    const uint8_t *data = f.b + 8 + hdr_len(&f);
    size_t dlen = f.len - 8 - hdr_len(&f);
    set_meta(h, "c.l1_kept", NULL);  /* absent energy: NaN, as for an unknown source */
    set_meta(h, "c.l2_kept", NULL);
    blob g = rebuild(h, data, dlen);
    sc_layer **all = NULL;
    size_t n = 0;
    cr_assert_eq(sc_file_parse(g.b, g.len, &all, &n), SC_OK, "%s", sc_last_message());
    sc_layer_info info;
    sc_layer_get_info(all[0], &info);
    cr_expect(isnan(info.l1_kept) && isnan(info.l2_kept));
    sc_layers_destroy(all, n);
    free(g.b);
    /* The same layer with I64 row pointers and U32 column indices (what a writer that does
     * not narrow would produce): accepted, and decodes to the same layer. */
    sc_csr_view v;
    sc_layer_get_csr(l, &v);
    const size_t rp_bytes = (size_t)(v.rows + 1) * 8, nz = (size_t)v.nnz;
    uint8_t *wide = malloc(rp_bytes + nz * 8 + 1);
    for (int64_t r = 0; r <= v.rows; ++r)
        for (int k = 0; k < 8; ++k) wide[r * 8 + k] = (uint8_t)((uint64_t)v.row_ptr[r] >> (8 * k));
    memcpy(wide + rp_bytes, v.val, nz * 4);  /* little-endian host, like the file */
    for (size_t j = 0; j < nz; ++j) {
        const uint32_t c = (uint32_t)sc_csr_col(&v, (int64_t)j);
        memcpy(wide + rp_bytes + nz * 4 + j * 4, &c, 4);
    }
    json_decref(h);
    h = header_of(&f);  /* with l1_kept and l2_kept again */
    json_t *rp = json_object_get(h, "c.row_ptr"), *ci = json_object_get(h, "c.col_idx"),
           *va = json_object_get(h, "c.values");
    json_object_set_new(rp, "dtype", json_string("I64"));
    json_object_set_new(rp, "data_offsets", json_pack("[I,I]", (json_int_t)0, (json_int_t)rp_bytes));
    json_object_set_new(va, "data_offsets", json_pack("[I,I]", (json_int_t)rp_bytes, (json_int_t)(rp_bytes + nz * 4)));
    json_object_set_new(ci, "dtype", json_string("U32"));
    json_object_set_new(ci, "data_offsets", json_pack("[I,I]", (json_int_t)(rp_bytes + nz * 4), (json_int_t)(rp_bytes + nz * 8)));
    fix_crc(h, wide, "c");
    g = rebuild(h, wide, rp_bytes + nz * 8);
    cr_assert_eq(sc_file_parse(g.b, g.len, &all, &n), SC_OK, "%s", sc_last_message());
    expect_same_layer(l, all[0]);
    sc_layers_destroy(all, n);
    free(g.b);
    free(wide);
    json_decref(h);
    free(f.b);
    sc_layer_destroy(l);
}

Test(sconv_file, write_errors, .init = make_tmpdir, .fini = remove_tmpdir)
{
    sc_layer *a = make_layer("same", 4, 1, 3, 3, 1, SC_PACK_CHW, false, 50, 7);
    sc_layer *b = make_layer("same", 4, 1, 3, 3, 1, SC_PACK_CHW, false, 50, 8);
    const sc_layer *both[2] = {a, b}, *none[1] = {NULL};
    char path[128], missing[160];
    snprintf(path, sizeof path, "%s/keep.sconv", tmpdir);
    cr_assert_eq(sc_file_write(path, both, 1), SC_OK);
    blob before = slurp(path);
    cr_expect_eq(sc_file_write(path, both, 2), SC_EINVAL, "duplicate names");
    cr_expect(strstr(sc_last_message(), "'same'") != NULL, "%s", sc_last_message());
    cr_expect_eq(sc_file_write(path, both, 0), SC_EINVAL);
    cr_expect_eq(sc_file_write(path, none, 1), SC_EINVAL);
    cr_expect_eq(sc_file_write(NULL, both, 1), SC_EINVAL);
    cr_expect_eq(sc_file_write(path, NULL, 1), SC_EINVAL);
    blob after = slurp(path);
    cr_expect(before.len == after.len && !memcmp(before.b, after.b, before.len),
              "a failed write leaves the old file");
    sc_layer *bad = make_layer("caf\xc3", 4, 1, 1, 1, 1, SC_PACK_CHW, false, 0, 9);  /* cut UTF-8 */
    cr_expect_eq(sc_file_write(path, (const sc_layer *const *)&bad, 1), SC_EINVAL, "%s",
                 sc_last_message());
    cr_expect(strstr(sc_last_message(), "UTF-8") != NULL, "%s", sc_last_message());
    sc_layer_destroy(bad);
    snprintf(missing, sizeof missing, "%s/no/such/dir.sconv", tmpdir);
    cr_expect_eq(sc_file_write(missing, both, 1), SC_EIO);
    cr_expect_eq(sc_layer_load(missing, NULL, &a), SC_EIO);
    sc_layer **all = NULL;
    size_t n = 0;
    cr_expect_eq(sc_file_read(NULL, &all, &n), SC_EINVAL);
    cr_expect_eq(sc_file_parse(NULL, 0, &all, &n), SC_EINVAL);
    sc_layers_destroy(NULL, 0);
    free(before.b);
    free(after.b);
    sc_layer_destroy(a);
    sc_layer_destroy(b);
}

/* ---- malformed files ----------------------------------------------------------------- */

/* Each case mutates a valid one-layer file ("conv": 4 x 3 x 3 x 3, bias, 16-bit indices). */
typedef struct bad_case {
    const char *name;     /* also the corpus file name */
    sc_status want;
    const char *message;  /* a substring the message must hold */
} bad_case;

static blob base_file(void)
{
    sc_layer *l = make_layer("conv", 4, 3, 3, 3, 2, SC_PACK_CHW, true, 50, 11);
    blob f = write_blob((const sc_layer *const *)&l, 1);
    sc_layer_destroy(l);
    return f;
}

/* Replace the first occurrence of `from` in the header text by `to` (lengths may differ). */
static blob text_edit(const blob *f, const char *from, const char *to)
{
    const size_t hl = hdr_len(f);
    char *text = malloc(hl + 1);
    memcpy(text, f->b + 8, hl);
    text[hl] = '\0';
    char *at = strstr(text, from);
    cr_assert_not_null(at, "'%s' not in header", from);
    const size_t fl = strlen(from), tl = strlen(to), nl = hl - fl + tl;
    blob r = {malloc(8 + nl + (f->len - 8 - hl) + 1), 8 + nl + (f->len - 8 - hl)};
    for (int i = 0; i < 8; ++i) r.b[i] = (uint8_t)((uint64_t)nl >> (8 * i));
    const size_t pre = (size_t)(at - text);
    memcpy(r.b + 8, text, pre);
    memcpy(r.b + 8 + pre, to, tl);
    memcpy(r.b + 8 + pre + tl, at + fl, hl - pre - fl);
    memcpy(r.b + 8 + nl, f->b + 8 + hl, f->len - 8 - hl);
    free(text);
    return r;
}

/* Build malformed case `c` from the valid file f. */
static blob make_bad(const blob *f, const char *c)
{
    const size_t hl = hdr_len(f), dlen = f->len - 8 - hl;
    uint8_t *data = malloc(dlen + 1);
    memcpy(data, f->b + 8 + hl, dlen);
    json_t *h = header_of(f);
    size_t b, e;
    blob r = {NULL, 0};
    const meta_edit *edit;
    if (!strcmp(c, "short-length")) {
        r.len = 5;
        r.b = malloc(5);
        memcpy(r.b, f->b, 5);
    } else if (!strcmp(c, "length-past-end") || !strcmp(c, "length-huge")) {
        r.len = f->len;
        r.b = malloc(r.len);
        memcpy(r.b, f->b, r.len);
        const uint64_t n = c[7] == 'p' ? f->len - 7 : UINT64_C(1) << 62;
        for (int i = 0; i < 8; ++i) r.b[i] = (uint8_t)(n >> (8 * i));
    } else if (!strcmp(c, "bad-json")) {
        r = text_edit(f, "\"__metadata__\":{", "\"__metadata__\":[");
    } else if (!strcmp(c, "duplicate-key")) {
        r = text_edit(f, "\"__metadata__\":{", "\"__metadata__\":{\"format\":\"sconv\",");
    } else if (!strcmp(c, "not-an-object")) {
        r = text_edit(f, "{", "[{");
    } else if (!strcmp(c, "trailing-garbage")) {
        r = text_edit(f, "\"__metadata__\"", "\"__metadata__\"");
        r.b[8 + hl - 1] = 'x';  /* the last padding byte (the header is padded or ends in '}') */
    } else if (!strcmp(c, "missing-tensor")) {
        json_object_del(h, "conv.values");  /* its bytes are then covered by nothing */
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "renamed-tensor")) {
        json_t *t = json_object_get(h, "conv.values");
        json_object_set(h, "conv.valuez", t);
        json_object_del(h, "conv.values");
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "wrong-dtype")) {
        json_object_set_new(json_object_get(h, "conv.values"), "dtype", json_string("I32"));
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "unknown-dtype")) {
        json_object_set_new(json_object_get(h, "conv.values"), "dtype", json_string("F16"));
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "shape-bytes-mismatch")) {
        json_t *s = json_array_get(json_object_get(json_object_get(h, "conv.values"), "shape"), 0);
        json_integer_set(s, json_integer_value(s) + 1);
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "overlapping-ranges")) {
        range_of(h, "conv.row_ptr", &b, &e);  /* after conv.bias (same size, name order) */
        cr_assert_geq(b, 4);
        json_t *o = json_object_get(json_object_get(h, "conv.row_ptr"), "data_offsets");
        json_array_set_new(o, 0, json_integer((json_int_t)b - 4));
        json_array_set_new(o, 1, json_integer((json_int_t)e - 4));
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "range-outside-data")) {
        json_t *o = json_object_get(json_object_get(h, "conv.col_idx"), "data_offsets");
        json_array_set_new(o, 1, json_integer((json_int_t)dlen + 2));
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "extra-data")) {
        r = rebuild(h, data, dlen);
        r.b = realloc(r.b, r.len + 4);
        memset(r.b + r.len, 0, 4);
        r.len += 4;
    } else if (!strcmp(c, "column-out-of-range") || !strcmp(c, "column-not-increasing")) {
        range_of(h, "conv.col_idx", &b, &e);
        size_t rb, re;
        range_of(h, "conv.row_ptr", &rb, &re);
        const uint32_t r0 = data[rb + 4] | (uint32_t)data[rb + 5] << 8;  /* row 0's length */
        cr_assert_geq(r0, 2);
        if (c[7] == 'o') {
            data[b + 2] = 27;  /* column 27 of 27 */
            data[b + 3] = 0;
        } else {
            data[b + 2] = data[b];  /* second column = first */
            data[b + 3] = data[b + 1];
        }
        fix_crc(h, data, "conv");
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "row-ptr-end")) {
        range_of(h, "conv.row_ptr", &b, &e);
        data[e - 4] = (uint8_t)(data[e - 4] - 1);
        fix_crc(h, data, "conv");
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "row-ptr-decreasing")) {
        range_of(h, "conv.row_ptr", &b, &e);
        data[b + 8] = 0;  /* row_ptr[2] = 0 < row_ptr[1] */
        data[b + 9] = 0;
        fix_crc(h, data, "conv");
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "zero-value") || !strcmp(c, "nan-value") || !strcmp(c, "inf-bias")) {
        range_of(h, c[0] == 'i' ? "conv.bias" : "conv.values", &b, &e);
        const float v = c[0] == 'z' ? 0.0f : c[0] == 'n' ? NAN : INFINITY;
        memcpy(data + b, &v, 4);  /* the test host is little-endian like the file */
        fix_crc(h, data, "conv");
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "bad-checksum")) {
        range_of(h, "conv.values", &b, &e);
        data[b] ^= 1;
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "dims-disagree")) {
        set_meta(h, "conv.oc", "5");  /* row_ptr has 5 entries for oc = 4 */
        set_meta(h, "conv.groups", "1");
        const char *nz = json_string_value(json_object_get(json_object_get(h, "__metadata__"), "conv.nnz"));
        char sp[40];
        snprintf(sp, sizeof sp, "%.17g", 1.0 - (double)atoll(nz) / (5.0 * 27.0));
        set_meta(h, "conv.sparsity", sp);
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "transposed-with-bias")) {
        set_meta(h, "conv.kind", "conv_transpose");
        set_meta(h, "format_version", "2");
        r = rebuild(h, data, dlen);
    } else if ((edit = find_meta_edit(c)) != NULL) {
        set_meta(h, edit->key, edit->value);
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "no-metadata")) {
        json_object_del(h, "__metadata__");
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "metadata-not-string")) {
        json_object_set_new(json_object_get(h, "__metadata__"), "conv.oc", json_integer(4));
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "negative-offset")) {
        json_array_set_new(json_object_get(json_object_get(h, "conv.bias"), "data_offsets"), 0,
                           json_integer(-16));
        r = rebuild(h, data, dlen);
    } else if (!strcmp(c, "extra-tensor-field")) {
        json_object_set_new(json_object_get(h, "conv.bias"), "strides", json_integer(1));
        r = rebuild(h, data, dlen);
    } else {
        cr_assert_fail("unknown case %s", c);
    }
    json_decref(h);
    free(data);
    return r;
}

static const bad_case bad_cases[] = {
    {"short-length", SC_EFORMAT, "shorter than the 8-byte header length"},
    {"length-past-end", SC_EFORMAT, "bytes follow"},
    {"length-huge", SC_EFORMAT, "exceeds the limit"},
    {"bad-json", SC_EFORMAT, "header JSON"},
    {"duplicate-key", SC_EFORMAT, "duplicate"},
    {"not-an-object", SC_EFORMAT, "must start with '{'"},
    {"trailing-garbage", SC_EFORMAT, "header JSON"},
    {"missing-tensor", SC_EFORMAT, "belong to no tensor"},
    {"renamed-tensor", SC_EFORMAT, "'conv.valuez' is not"},
    {"wrong-dtype", SC_EFORMAT, "values has dtype I32"},
    {"unknown-dtype", SC_EFORMAT, "dtype 'F16'"},
    {"shape-bytes-mismatch", SC_EFORMAT, "bytes in"},
    {"overlapping-ranges", SC_EFORMAT, "overlap"},
    {"range-outside-data", SC_EFORMAT, "not inside"},
    {"extra-data", SC_EFORMAT, "belong to no tensor"},
    {"column-out-of-range", SC_EFORMAT, "out of range"},
    {"column-not-increasing", SC_EFORMAT, "not strictly increasing"},
    {"row-ptr-end", SC_EFORMAT, "row pointer"},
    {"row-ptr-decreasing", SC_EFORMAT, "row pointer"},
    {"zero-value", SC_EFORMAT, "finite and nonzero"},
    {"nan-value", SC_EFORMAT, "finite and nonzero"},
    {"inf-bias", SC_EFORMAT, "not finite"},
    {"bad-checksum", SC_EFORMAT, "checksum mismatch"},
    {"negative-dims", SC_EFORMAT, "'oc' = \"-4\""},
    {"dims-not-a-number", SC_EFORMAT, "'kh' = \"3x\""},
    {"dims-overflow", SC_EFORMAT, "'icg'"},
    {"dims-leading-zero", SC_EFORMAT, "'kw' = \"03\""},
    {"dims-disagree", SC_EFORMAT, "row_ptr must have shape [6]"},
    {"groups-not-dividing", SC_EFORMAT, "does not divide"},
    {"bad-padding", SC_EFORMAT, "'padding'"},
    {"zero-stride", SC_EFORMAT, "stride"},
    {"missing-metadata", SC_EFORMAT, "'conv.kh' is missing"},
    {"sparsity-disagrees", SC_EFORMAT, "sparsity"},
    {"bad-layout", SC_EFORMAT, "layout"},
    {"newer-version", SC_EUNSUPPORTED, "newer"},
    {"bad-version", SC_EFORMAT, "format_version"},
    {"unknown-kind", SC_EFORMAT, "kind \"deconv\": expected conv or conv_transpose"},
    {"kind-not-canonical", SC_EFORMAT, "kind \"Conv_Transpose\""},
    {"transposed-in-version-1", SC_EFORMAT, "needs format_version 2"},
    {"transposed-with-bias", SC_EFORMAT, "no bias tensor"},
    {"output-padding-on-conv", SC_EFORMAT, "only a conv_transpose layer"},
    {"output-padding-one-value", SC_EFORMAT, "'output_padding' = \"0\""},
    {"not-sconv", SC_EFORMAT, "\"format\""},
    {"duplicate-layer-names", SC_EFORMAT, "appears twice"},
    {"no-metadata", SC_EFORMAT, "__metadata__"},
    {"metadata-not-string", SC_EFORMAT, "not a string"},
    {"negative-offset", SC_EFORMAT, "data_offsets"},
    {"extra-tensor-field", SC_EFORMAT, "unknown field"},
};
#define N_BAD (sizeof bad_cases / sizeof bad_cases[0])

static void expect_reject(const blob *f, sc_status want, const char *msg, const char *what)
{
    sc_layer **sentinel = (sc_layer **)&rng_state, **all = sentinel;
    size_t n = 12345;
    const sc_status st = sc_file_parse(f->b, f->len, &all, &n);
    cr_expect_eq(st, want, "%s: status %s (%s), want %s", what, sc_strerror(st),
                 sc_last_message(), sc_strerror(want));
    if (msg) cr_expect(strstr(sc_last_message(), msg) != NULL, "%s: message '%s' lacks '%s'",
                       what, sc_last_message(), msg);
    cr_expect(all == sentinel && n == 12345, "%s: outputs touched", what);
    if (st == SC_OK) sc_layers_destroy(all, n);
}

Test(sconv_file, malformed_files_are_rejected, .init = make_tmpdir, .fini = remove_tmpdir)
{
    blob f = base_file();
    sc_layer **all = NULL;
    size_t n = 0;
    cr_assert_eq(sc_file_parse(f.b, f.len, &all, &n), SC_OK, "the base file is valid: %s",
                 sc_last_message());
    sc_layers_destroy(all, n);
    const char *out = getenv("SCONV_CORPUS_OUT");  /* regenerate tests/io/corpus/sconv */
    for (size_t i = 0; i < N_BAD; ++i) {
        blob b = make_bad(&f, bad_cases[i].name);
        expect_reject(&b, bad_cases[i].want, bad_cases[i].message, bad_cases[i].name);
        if (out) {
            char p[512];
            snprintf(p, sizeof p, "%s/%s-%s.sconv", out,
                     bad_cases[i].want == SC_EUNSUPPORTED ? "eunsupported" : "eformat",
                     bad_cases[i].name);
            FILE *o = fopen(p, "wb");
            cr_assert_not_null(o, "%s", p);
            fwrite(b.b, 1, b.len, o);
            fclose(o);
        }
        free(b.b);
    }
    free(f.b);
}

Test(sconv_file, load_names_the_file, .init = make_tmpdir, .fini = remove_tmpdir)
{
    blob f = base_file();
    blob b = make_bad(&f, "bad-checksum");
    char path[128];
    snprintf(path, sizeof path, "%s/bad.sconv", tmpdir);
    FILE *o = fopen(path, "wb");
    fwrite(b.b, 1, b.len, o);
    fclose(o);
    sc_layer *l = NULL;
    cr_expect_eq(sc_layer_load(path, NULL, &l), SC_EFORMAT);
    cr_expect(strstr(sc_last_message(), path) && strstr(sc_last_message(), "checksum"), "%s",
              sc_last_message());
    cr_expect_null(l);
    free(b.b);
    free(f.b);
}

Test(sconv_file, every_truncation_is_rejected, .init = make_tmpdir, .fini = remove_tmpdir)
{
    blob f = base_file();
    for (size_t len = 0; len < f.len; ++len) {
        char what[48];
        snprintf(what, sizeof what, "truncated to %zu", len);
        expect_reject(&(blob){f.b, len}, SC_EFORMAT, NULL, what);
    }
    free(f.b);
}

Test(sconv_file, random_corruption_never_crashes, .init = make_tmpdir, .fini = remove_tmpdir)
{
    blob f = base_file();
    uint8_t *c = malloc(f.len);
    rng_state = 2024;
    int rejected = 0;
    for (int it = 0; it < 3000; ++it) {
        memcpy(c, f.b, f.len);
        const int flips = 1 + (int)(rnd() % 3);
        for (int k = 0; k < flips; ++k) c[rnd() % f.len] ^= (uint8_t)(1u << (rnd() % 8));
        sc_layer **all = NULL;
        size_t n = 0;
        const sc_status st = sc_file_parse(c, f.len, &all, &n);
        if (st == SC_OK) {  /* a flip that kept the file valid (inside a string): still sound */
            for (size_t i = 0; i < n; ++i) cr_expect_eq(sc_layer_validate(all[i]), SC_OK);
            sc_layers_destroy(all, n);
        } else {
            cr_expect(st == SC_EFORMAT || st == SC_EUNSUPPORTED, "flip %d: %s", it, sc_strerror(st));
            ++rejected;
        }
    }
    cr_expect_gt(rejected, 2700, "%d of 3000 corrupted files rejected", rejected);
    free(c);
    free(f.b);
}

Test(sconv_file, allocation_failures_are_clean, .init = make_tmpdir, .fini = remove_tmpdir)
{
    sc_layer *l[2] = {make_layer("a", 4, 3, 3, 3, 1, SC_PACK_CHW, true, 50, 12),
                      make_layer("b", 6, 2, 1, 1, 2, SC_PACK_HWC, false, 20, 13)};
    blob f = write_blob((const sc_layer *const *)l, 2);
    char path[128];
    snprintf(path, sizeof path, "%s/alloc.sconv", tmpdir);
    int fails = 0;
    for (uint64_t k = 1; k < 100; ++k) {
        sc_layer **all = NULL;
        size_t n = 0;
        sc_alloc_fail_at(k);
        sc_status st = sc_file_parse(f.b, f.len, &all, &n);
        sc_alloc_fail_at(0);
        if (st == SC_OK) {
            sc_layers_destroy(all, n);
            break;
        }
        cr_expect_eq(st, SC_ENOMEM, "parse, allocation %llu: %s", (unsigned long long)k, sc_last_message());
        ++fails;
    }
    cr_expect_geq(fails, 10);
    for (uint64_t k = 1; k < 100; ++k) {
        sc_alloc_fail_at(k);
        sc_status st = sc_file_write(path, (const sc_layer *const *)l, 2);
        sc_alloc_fail_at(0);
        if (st == SC_OK) break;
        cr_expect_eq(st, SC_ENOMEM, "write, allocation %llu: %s", (unsigned long long)k, sc_last_message());
        cr_expect_neq(access(path, F_OK), 0, "no file after a failed write");
    }
    blob g = slurp(path);
    cr_expect(g.len == f.len && !memcmp(g.b, f.b, f.len), "deterministic output");
    free(g.b);
    free(f.b);
    sc_layer_destroy(l[0]);
    sc_layer_destroy(l[1]);
}

/* A conv_transpose layer keeps its kind and output padding through a file; the file says
 * format_version 2 only then, and a conv layer next to it has no kind key. */
Test(sconv_file, transposed_layer_round_trip, .init = make_tmpdir, .fini = remove_tmpdir)
{
    for (int order = 0; order < 2; ++order) {
        sc_layer *l[2] = {make_transposed("up.1", 6, 4, 2, (sc_pack_order)order, 1, 0, 21),
                          make_layer("conv", 4, 3, 3, 3, 2, SC_PACK_CHW, true, 50, 22)};
        blob f = write_blob((const sc_layer *const *)l, 2);
        json_t *h = header_of(&f);
        json_t *m = json_object_get(h, "__metadata__");
        cr_expect_str_eq(json_string_value(json_object_get(m, "format_version")), "2");
        cr_expect_str_eq(json_string_value(json_object_get(m, "up.1.kind")), "conv_transpose");
        cr_expect_str_eq(json_string_value(json_object_get(m, "up.1.output_padding")), "1,0");
        cr_expect_null(json_object_get(m, "conv.kind"), "a conv layer is written as before");
        cr_expect_null(json_object_get(m, "conv.output_padding"));
        json_decref(h);
        sc_layer **all = NULL;
        size_t n = 0;
        cr_assert_eq(sc_file_parse(f.b, f.len, &all, &n), SC_OK, "%s", sc_last_message());
        cr_assert_eq(n, 2);
        sc_layer *c = NULL;
        cr_assert_eq(sc_layer_clone(all[0], &c), SC_OK);
        for (int i = 0; i < 2; ++i) {
            expect_same_layer(l[i], all[i]);
            sc_layer_info a, b;
            sc_layer_get_info(l[i], &a);
            sc_layer_get_info(all[i], &b);
            cr_expect_eq(b.kind, i == 0 ? SC_LAYER_CONV_TRANSPOSE : SC_LAYER_CONV, "layer %d", i);
            cr_expect_eq(b.kind, a.kind);
            cr_expect_eq(b.out_pad_h, i == 0 ? 1 : 0);
            cr_expect_eq(b.out_pad_w, 0);
        }
        sc_layer_info ci;
        sc_layer_get_info(c, &ci);
        cr_expect(ci.kind == SC_LAYER_CONV_TRANSPOSE && ci.out_pad_h == 1 && ci.out_pad_w == 0,
                  "clone carries kind %d and output padding %lld,%lld", (int)ci.kind,
                  (long long)ci.out_pad_h, (long long)ci.out_pad_w);
        sc_layer_destroy(c);
        sc_layers_destroy(all, n);
        free(f.b);
        /* a conv-only file stays version 1 */
        blob g = write_blob((const sc_layer *const *)&l[1], 1);
        h = header_of(&g);
        cr_expect_str_eq(json_string_value(json_object_get(json_object_get(h, "__metadata__"),
                                                           "format_version")), "1");
        json_decref(h);
        free(g.b);
        sc_layer_destroy(l[0]);
        sc_layer_destroy(l[1]);
    }
}

/* Bad output padding and kinds in files holding a conv_transpose layer. */
Test(sconv_file, transposed_metadata_is_checked, .init = make_tmpdir, .fini = remove_tmpdir)
{
    sc_layer *l = make_transposed("t", 4, 2, 2, SC_PACK_HWC, 0, 1, 23);
    blob f = write_blob((const sc_layer *const *)&l, 1);
    sc_layer_destroy(l);
    static const struct { const char *key, *value, *msg; } cases[] = {
        {"t.output_padding", "2,0", "output padding height 2 must be >= 0 and smaller than max(stride 2, dilation 1)"},
        {"t.output_padding", "0,2", "output padding width 2"},
        {"t.output_padding", "1,1,1", "'output_padding'"},
        {"t.output_padding", "-1,0", "'output_padding'"},
        {"t.kind", "", "kind \"\""},
        {"format_version", "1", "needs format_version 2, the file says 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        json_t *h = header_of(&f);
        const size_t hl = hdr_len(&f);
        set_meta(h, cases[i].key, cases[i].value);
        blob b = rebuild(h, f.b + 8 + hl, f.len - 8 - hl);
        expect_reject(&b, SC_EFORMAT, cases[i].msg, cases[i].value);
        json_decref(h);
        free(b.b);
    }
    /* absent output padding on a transposed layer: 0,0 */
    json_t *h = header_of(&f);
    const size_t hl = hdr_len(&f);
    set_meta(h, "t.output_padding", NULL);
    blob b = rebuild(h, f.b + 8 + hl, f.len - 8 - hl);
    sc_layer **all = NULL;
    size_t n = 0;
    cr_assert_eq(sc_file_parse(b.b, b.len, &all, &n), SC_OK, "%s", sc_last_message());
    sc_layer_info info;
    sc_layer_get_info(all[0], &info);
    cr_expect(info.kind == SC_LAYER_CONV_TRANSPOSE && info.out_pad_h == 0 && info.out_pad_w == 0);
    sc_layers_destroy(all, n);
    json_decref(h);
    free(b.b);
    free(f.b);
}

/* The committed seed corpus (tests/io/corpus/sconv, regenerated with SCONV_CORPUS_OUT=dir):
 * each file's name starts with the status it must get. */
Test(sconv_file, seed_corpus_is_rejected)
{
    DIR *d = opendir(SCONV_CORPUS_DIR);
    cr_assert_not_null(d, "%s", SCONV_CORPUS_DIR);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        const size_t nl = strlen(e->d_name);
        if (nl < 6 || strcmp(e->d_name + nl - 6, ".sconv")) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", SCONV_CORPUS_DIR, e->d_name);
        blob f = slurp(p);
        const sc_status want = !strncmp(e->d_name, "eunsupported-", 13) ? SC_EUNSUPPORTED : SC_EFORMAT;
        expect_reject(&f, want, NULL, e->d_name);
        free(f.b);
        ++files;
    }
    closedir(d);
    cr_expect_geq(files, 40, "%d corpus files", files);
}

/* Another format handed to the reader is named, not parsed as a header length. */
Test(sconv_file, other_formats_are_named)
{
    static const struct {
        const char *what;
        uint8_t bytes[40];
        const char *msg;
    } cases[] = {
        {"npy", "\x93NUMPY\x01\x00v\x00{'descr': '<f4'",
         ".sconv: not a .sconv file: it starts like a .npy array"},
        {"npz", "PK\x03\x04\x14\x00\x00\x00\x00\x00w.npy", "it starts like a zip archive"},
        {"h5", "\x89HDF\r\n\x1a\n\x00\x00\x00\x00\x00\x08\x08\x00", "it starts like an HDF5 file"},
        {"text", "conv1 weights, pruned", "byte 8, where the JSON header must start with '{', "
                                          "is 'i'"},
        {"binary", "\x01\x02\x03\x04\x05\x06\x07\x08\x00{}", "is 0x00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        blob f = {(uint8_t *)cases[i].bytes, sizeof cases[i].bytes};
        expect_reject(&f, SC_EFORMAT, cases[i].msg, cases[i].what);
    }
}
