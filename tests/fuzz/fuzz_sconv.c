/* tests/fuzz/fuzz_sconv.c: libFuzzer target for the .sconv reader (sc_file_parse), with
 * write/read, unpack/pack and sparse-vs-reference convolution checks on what it accepts */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "sconv.h"

/* Work the checks below may do per accepted layer (elements); larger layers are only
 * round-tripped through the file. */
enum { MAX_DENSE = 1 << 16, MAX_CONV = 1 << 14, MAX_PATCHES = 16 };

static void same_layer(const sc_layer *a, const sc_layer *b, const char *what)
{
    sc_layer_info x, y;
    sc_csr_view u, v;
    FUZZ_CHECK(sc_layer_get_info(a, &x) == SC_OK && sc_layer_get_info(b, &y) == SC_OK, "%s", what);
    FUZZ_CHECK(sc_layer_get_csr(a, &u) == SC_OK && sc_layer_get_csr(b, &v) == SC_OK, "%s", what);
    FUZZ_CHECK(strcmp(x.name, y.name) == 0, "%s: name '%s' vs '%s'", what, x.name, y.name);
    FUZZ_CHECK(x.wdesc.layout == y.wdesc.layout && x.wdesc.oc == y.wdesc.oc &&
                   x.wdesc.icg == y.wdesc.icg && x.wdesc.kh == y.wdesc.kh && x.wdesc.kw == y.wdesc.kw,
               "%s: weight descriptor", what);
    FUZZ_CHECK(memcmp(&x.params, &y.params, sizeof x.params) == 0, "%s: conv params", what);
    FUZZ_CHECK(x.order == y.order && x.nnz == y.nnz, "%s: order or nnz", what);
    FUZZ_CHECK(u.rows == v.rows && u.cols == v.cols && u.index_bytes == v.index_bytes, "%s: dims",
               what);
    FUZZ_CHECK(memcmp(u.row_ptr, v.row_ptr, (size_t)(u.rows + 1) * 8) == 0, "%s: row_ptr", what);
    FUZZ_CHECK(memcmp(u.col_idx, v.col_idx, (size_t)u.nnz * (size_t)u.index_bytes) == 0,
               "%s: col_idx", what);
    FUZZ_CHECK(memcmp(u.val, v.val, (size_t)u.nnz * 4) == 0, "%s: values", what);
    FUZZ_CHECK((x.bias == NULL) == (y.bias == NULL), "%s: bias presence", what);
    FUZZ_CHECK(!x.bias || memcmp(x.bias, y.bias, (size_t)u.rows * 4) == 0, "%s: bias", what);
}

/* The CSR invariants, checked here independently of the library's validator. */
static void check_csr(const sc_layer *l)
{
    sc_csr_view v;
    sc_layer_info info;
    sc_layer_stats stats;
    FUZZ_CHECK(sc_layer_get_csr(l, &v) == SC_OK && sc_layer_get_info(l, &info) == SC_OK, "views");
    FUZZ_CHECK(v.rows == info.wdesc.oc && v.cols == info.wdesc.icg * info.wdesc.kh * info.wdesc.kw,
               "dims");
    FUZZ_CHECK(v.index_bytes == (v.cols <= 65536 ? 2 : 4), "index width");
    FUZZ_CHECK(v.row_ptr[0] == 0 && v.row_ptr[v.rows] == v.nnz, "row_ptr ends");
    for (int64_t r = 0; r < v.rows; ++r) {
        FUZZ_CHECK(v.row_ptr[r] <= v.row_ptr[r + 1], "row_ptr decreases at %lld", (long long)r);
        for (int64_t j = v.row_ptr[r]; j < v.row_ptr[r + 1]; ++j) {
            FUZZ_CHECK(sc_csr_col(&v, j) < v.cols, "column out of range");
            FUZZ_CHECK(j == v.row_ptr[r] || sc_csr_col(&v, j) > sc_csr_col(&v, j - 1), "order");
            FUZZ_CHECK(isfinite(v.val[j]) && v.val[j] != 0.0f, "value %g", (double)v.val[j]);
        }
    }
    FUZZ_CHECK(sc_layer_get_stats(l, &stats) == SC_OK, "stats: %s", sc_last_message());
    FUZZ_CHECK(stats.nnz == v.nnz && stats.rows == v.rows, "stats disagree");
}

/* unpack -> pack gives the same layer back (every stored value is nonzero). */
static void check_unpack_pack(const sc_layer *l)
{
    sc_layer_info info;
    sc_layer_get_info(l, &info);
    const int64_t numel = info.wdesc.oc * info.wdesc.icg * info.wdesc.kh * info.wdesc.kw;
    if (numel > MAX_DENSE) return;
    float *w = malloc((size_t)numel * sizeof *w + 1);
    FUZZ_CHECK(w != NULL, "malloc");
    FUZZ_CHECK(sc_layer_unpack(l, info.wdesc.layout, w) == SC_OK, "unpack: %s", sc_last_message());
    sc_pack_options po = sc_pack_options_default();
    po.name = info.name;
    po.params = info.params;
    po.order = info.order;
    po.bias = info.bias;
    po.method = info.method;
    po.method_params = info.method_params;
    sc_layer *p = NULL;
    FUZZ_CHECK(sc_layer_pack(&info.wdesc, w, NULL, &po, &p) == SC_OK, "pack: %s",
               sc_last_message());
    same_layer(l, p, "unpack/pack");
    sc_layer_destroy(p);
    free(w);
}

/* Sparse and dense engines against the double-precision reference on a small input. */
static void check_conv(const sc_layer *l)
{
    sc_layer_info info;
    sc_layer_get_info(l, &info);
    const sc_wdesc *wd = &info.wdesc;
    const sc_conv_params *p = &info.params;
    const int64_t numel = wd->oc * wd->icg * wd->kh * wd->kw, c = wd->icg * p->groups;
    if (numel > MAX_DENSE || c > MAX_CONV || p->dil_h > 64 || p->dil_w > 64) return;
    /* the smallest input the kernel fits once (padding may cover part of it) */
    int64_t h = p->dil_h * (wd->kh - 1) + 1 - p->pad_top - p->pad_bottom;
    int64_t w = p->dil_w * (wd->kw - 1) + 1 - p->pad_left - p->pad_right;
    h = h < 1 ? 1 : h;
    w = w < 1 ? 1 : w;
    int64_t oh, ow;
    if (sc_conv_output_hw(p, wd->kh, wd->kw, h, w, &oh, &ow) != SC_OK) return;
    if (oh > MAX_CONV || ow > MAX_CONV) return;  /* huge paddings: the products below fit */
    if (c * h * w > MAX_CONV || wd->oc * oh * ow > MAX_CONV || numel * oh * ow > 8 * MAX_CONV)
        return;
    sc_csr_view v;
    sc_layer_get_csr(l, &v);
    double wsum = 0;
    for (int64_t j = 0; j < v.nnz; ++j) wsum += fabs((double)v.val[j]);
    for (int64_t o = 0; info.bias && o < wd->oc; ++o) wsum += fabs((double)info.bias[o]);
    if (!(wsum < 1e30)) return;  /* float sums could overflow where the reference does not */
    const sc_tensor xd = sc_tensor_nchw(1, c, h, w), yd = sc_tensor_nchw(1, wd->oc, oh, ow);
    float *x = malloc((size_t)(c * h * w) * 4), *wt = malloc((size_t)numel * 4),
          *ref = malloc((size_t)(wd->oc * oh * ow) * 4), *y = malloc((size_t)(wd->oc * oh * ow) * 4);
    FUZZ_CHECK(x && wt && ref && y, "malloc");
    for (int64_t i = 0; i < c * h * w; ++i) x[i] = (float)(i % 7 - 3);
    sc_wdesc oihw = *wd;
    oihw.layout = SC_OIHW;
    FUZZ_CHECK(sc_layer_unpack(l, SC_OIHW, wt) == SC_OK, "unpack");
    FUZZ_CHECK(sc_conv_reference(p, &oihw, wt, info.bias, NULL, &xd, x, &yd, ref) == SC_OK,
               "reference: %s", sc_last_message());
    const double tol = 1e-5 * 3.0 * wsum + 1e-30;
    for (int e = SC_ENGINE_SPARSE; e <= SC_ENGINE_DENSE; ++e) {
        sc_conv_options opt = sc_conv_options_default();
        opt.engine = (sc_engine)e;
        opt.threads = 1;
        sc_conv *op = NULL;
        FUZZ_CHECK(sc_conv_create(l, &opt, &op) == SC_OK, "create: %s", sc_last_message());
        FUZZ_CHECK(sc_conv_plan(op, &xd, &yd) == SC_OK, "plan: %s", sc_last_message());
        FUZZ_CHECK(sc_conv_run(op, x, y) == SC_OK, "run: %s", sc_last_message());
        for (int64_t i = 0; i < wd->oc * oh * ow; ++i)
            FUZZ_CHECK(fabs((double)y[i] - (double)ref[i]) <= tol,
                       "engine %d: y[%lld] = %.9g, reference %.9g (tolerance %g)", e,
                       (long long)i, (double)y[i], (double)ref[i], tol);
        sc_conv_destroy(op);
    }
    free(x);
    free(wt);
    free(ref);
    free(y);
}

/* Write everything accepted and read it back: the same layers. */
static void check_roundtrip(sc_layer **layers, size_t n)
{
    const char *path = fuzz_scratch_path("a.sconv");
    sc_status st = sc_file_write(path, (const sc_layer *const *)layers, n);
    FUZZ_CHECK(st == SC_OK, "writing parsed layers failed: %s", sc_last_message());
    sc_layer **back = NULL;
    size_t m = 0;
    st = sc_file_read(path, &back, &m);
    FUZZ_CHECK(st == SC_OK, "re-reading written layers failed: %s", sc_last_message());
    FUZZ_CHECK(m == n, "%zu layers written, %zu read", n, m);
    for (size_t i = 0; i < n; ++i) same_layer(layers[i], back[i], "write/read");
    sc_layers_destroy(back, m);
}

/* A file whose only fault is a stale checksum: put the data's CRC-32 in place of the
 * metadata's so mutations of the tensors reach the CSR checks behind it. Returns false
 * when the message is not a checksum mismatch or the text cannot be found. */
static bool patch_crc(uint8_t *buf, size_t len)
{
    static const char key[] = "checksum mismatch: metadata crc32 \"";
    const char *msg = sc_last_message(), *at = NULL;
    for (const char *s = strstr(msg, key); s; s = strstr(s + 1, key)) at = s;
    if (!at) return false;
    at += sizeof key - 1;
    const char *q = strchr(at, '"');
    if (!q || q - at != 8 || strncmp(q, "\", data ", 8) != 0 || strlen(q + 8) != 8) return false;
    char old[11] = "\"", neu[11] = "\"";
    memcpy(old + 1, at, 8);
    memcpy(neu + 1, q + 8, 8);
    old[9] = neu[9] = '"';
    uint64_t hlen = 0;
    for (int b = 0; b < 8 && (size_t)b < len; ++b) hlen |= (uint64_t)buf[b] << (8 * b);
    if (len < 8 || hlen > len - 8) return false;
    for (size_t i = 8; i + 10 <= 8 + hlen; ++i)
        if (memcmp(buf + i, old, 10) == 0) {
            memcpy(buf + i, neu, 10);
            return true;
        }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    uint8_t *buf = malloc(len + 1);
    FUZZ_CHECK(buf != NULL, "malloc");
    memcpy(buf, data, len);
    sc_layer **layers = (sc_layer **)(uintptr_t)0x1, **sentinel = layers;
    size_t n = 12345;
    sc_status st = sc_file_parse(buf, len, &layers, &n);
    for (int k = 0; st == SC_EFORMAT && k < MAX_PATCHES && patch_crc(buf, len); ++k)
        st = sc_file_parse(buf, len, &layers, &n);
    if (st != SC_OK) {
        FUZZ_CHECK(layers == sentinel && n == 12345, "outputs changed on failure");
        FUZZ_CHECK(st == SC_EFORMAT || st == SC_EUNSUPPORTED || st == SC_ENOMEM,
                   "unexpected status %s: %s", sc_strerror(st), sc_last_message());
        FUZZ_CHECK(sc_last_message()[0] != '\0', "failure without a message");
        free(buf);
        return 0;
    }
    FUZZ_CHECK(n >= 1 && layers != NULL, "no layers");
    for (size_t i = 0; i < n; ++i) {
        check_csr(layers[i]);
        check_unpack_pack(layers[i]);
        check_conv(layers[i]);
    }
    check_roundtrip(layers, n);
    sc_layers_destroy(layers, n);
    free(buf);
    return 0;
}
