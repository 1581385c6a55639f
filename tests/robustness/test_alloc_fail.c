/* tests/robustness/test_alloc_fail.c: fail the N-th library allocation, N = 1, 2, ..., through
 * pack, files, pruning and both engines: SC_ENOMEM, nothing lost, inputs untouched, no leak
 * (the leak check is LeakSanitizer's, in the ASan build) */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "robust_util.h"
#include "sconv.h"

/* A pointer value the library must never write on failure. */
#define SENTINEL ((void *)(uintptr_t)0x5c5c5c5c)

/* ---- pack ---- */

typedef struct pack_ctx {
    sc_wdesc wd;
    float *w, *w0, *bias, *bias0;
    uint8_t *mask, *mask0;
    int64_t n;
    sc_pack_options po;
    sc_layer *out;
    int64_t want_nnz;
} pack_ctx;

static sc_status pack_step(void *c)
{
    pack_ctx *p = c;
    return sc_layer_pack(&p->wd, p->w, p->mask, &p->po, &p->out);
}

static void pack_inputs_intact(pack_ctx *p)
{
    cr_assert(memcmp(p->w, p->w0, (size_t)p->n * 4) == 0, "weights changed");
    cr_assert(memcmp(p->mask, p->mask0, (size_t)p->n) == 0, "mask changed");
    cr_assert(memcmp(p->bias, p->bias0, (size_t)p->wd.oc * 4) == 0, "bias changed");
}

static void pack_failed(void *c)
{
    pack_ctx *p = c;
    cr_assert_eq(p->out, SENTINEL, "output written on failure");
    pack_inputs_intact(p);
}

static void pack_done(void *c)
{
    pack_ctx *p = c;
    pack_inputs_intact(p);
    sc_layer_info info;
    cr_assert_eq(sc_layer_get_info(p->out, &info), SC_OK);
    cr_expect_eq(info.nnz, p->want_nnz);  /* kept = mask set and weight nonzero, counted here */
    sc_layer_destroy(p->out);
}

Test(alloc_fail, pack)
{
    pack_ctx p = {.wd = {SC_OHWI, 12, 5, 3, 3}};
    p.n = 12 * 5 * 3 * 3;
    p.w = malloc((size_t)p.n * 4);
    p.w0 = malloc((size_t)p.n * 4);
    p.mask = malloc((size_t)p.n);
    p.mask0 = malloc((size_t)p.n);
    p.bias = malloc(12 * 4);
    p.bias0 = malloc(12 * 4);
    rb_fill(p.w, p.n, 0.8, 1);
    rb_fill(p.bias, 12, 1.0, 2);
    for (int64_t i = 0; i < p.n; ++i) {
        p.mask[i] = (uint8_t)(i % 3 != 0);
        p.want_nnz += p.mask[i] && p.w[i] != 0.0f;
    }
    memcpy(p.w0, p.w, (size_t)p.n * 4);
    memcpy(p.mask0, p.mask, (size_t)p.n);
    memcpy(p.bias0, p.bias, 12 * 4);
    p.po = sc_pack_options_default();
    p.po.name = "conv";
    p.po.bias = p.bias;
    p.po.order = SC_PACK_HWC;
    p.po.params.groups = 3;
    p.out = SENTINEL;
    const int points = rb_alloc_walk("sc_layer_pack", pack_step, pack_failed, pack_done, &p);
    cr_expect_geq(points, 4, "row pointers, indices, values, bias and the layer itself");
    free(p.w); free(p.w0); free(p.mask); free(p.mask0); free(p.bias); free(p.bias0);
}

/* ---- clone ---- */

typedef struct clone_ctx {
    sc_layer *src, *copy, *out;
} clone_ctx;

static sc_status clone_step(void *c)
{
    clone_ctx *k = c;
    return sc_layer_clone(k->src, &k->out);
}

static void clone_failed(void *c)
{
    clone_ctx *k = c;
    cr_assert_eq(k->out, SENTINEL);
    rb_expect_same_layer(k->src, k->copy);
}

static void clone_done(void *c)
{
    clone_ctx *k = c;
    rb_expect_same_layer(k->out, k->src);
    sc_layer_destroy(k->out);
}

Test(alloc_fail, clone)
{
    clone_ctx k = {.out = SENTINEL};
    k.src = rb_layer("c", SC_OIHW, 6, 3, 3, 3, NULL, SC_PACK_CHW, true, 0.5, 3);
    cr_assert_eq(sc_layer_clone(k.src, &k.copy), SC_OK);
    cr_expect_geq(rb_alloc_walk("sc_layer_clone", clone_step, clone_failed, clone_done, &k), 4);
    sc_layer_destroy(k.src);
    sc_layer_destroy(k.copy);
}

/* ---- .sconv write ---- */

typedef struct write_ctx {
    char dir[256], path[512];
    const uint8_t *old;  /* previous content, NULL: no previous file */
    size_t old_len;
    sc_layer *layers[3], *copies[3];
    size_t n;
} write_ctx;

static sc_status write_step(void *c)
{
    write_ctx *w = c;
    return sc_file_write(w->path, (const sc_layer *const *)w->layers, w->n);
}

/* No partial output: the old file intact (or still absent), no temporary file left. */
static void output_intact(const char *dir, const char *path, const uint8_t *old, size_t old_len)
{
    if (old) {
        rb_expect_file(path, old, old_len);
        cr_assert_eq(rb_count_entries(dir), 1, "a temporary file was left in %s", dir);
    } else {
        size_t len;
        uint8_t *got = rb_read_bytes(path, &len);
        cr_assert_null(got, "%s exists after a failed write (%zu bytes)", path, len);
        cr_assert_eq(rb_count_entries(dir), 0, "a temporary file was left in %s", dir);
    }
}

static void write_failed(void *c)
{
    write_ctx *w = c;
    output_intact(w->dir, w->path, w->old, w->old_len);
    for (size_t i = 0; i < w->n; ++i) rb_expect_same_layer(w->layers[i], w->copies[i]);
}

static void write_done(void *c)
{
    write_ctx *w = c;
    sc_layer **back = NULL;
    size_t n = 0;
    cr_assert_eq(sc_file_read(w->path, &back, &n), SC_OK, "%s", sc_last_message());
    cr_assert_eq(n, w->n);
    for (size_t i = 0; i < n; ++i) rb_expect_same_layer(back[i], w->copies[i]);
    sc_layers_destroy(back, n);
    cr_assert_eq(rb_count_entries(w->dir), 1);
}

static void write_walk(bool with_old)
{
    write_ctx w = {.n = 3};
    sc_conv_params p = sc_conv_params_default();
    w.layers[0] = rb_layer("a", SC_OIHW, 4, 3, 3, 3, NULL, SC_PACK_CHW, true, 0.5, 4);
    p.groups = 2;
    p.stride_h = 2;
    w.layers[1] = rb_layer("b", SC_HWIO, 6, 2, 1, 3, &p, SC_PACK_HWC, false, 0.3, 5);
    w.layers[2] = rb_layer("wide", SC_OIHW, 2, 70000, 1, 1, NULL, SC_PACK_CHW, true, 0.001, 6);
    for (size_t i = 0; i < w.n; ++i) cr_assert_eq(sc_layer_clone(w.layers[i], &w.copies[i]), SC_OK);
    rb_make_dir(w.dir);
    rb_path(w.path, w.dir, "model.sconv");
    static const uint8_t old[] = "the previous model, which must survive";
    if (with_old) {
        rb_write_bytes(w.path, old, sizeof old);
        w.old = old;
        w.old_len = sizeof old;
    }
    cr_expect_geq(rb_alloc_walk(with_old ? "sc_file_write (replacing a file)" : "sc_file_write",
                                write_step, write_failed, write_done, &w), 10);
    for (size_t i = 0; i < w.n; ++i) {
        sc_layer_destroy(w.layers[i]);
        sc_layer_destroy(w.copies[i]);
    }
    rb_remove_dir(w.dir);
}

Test(alloc_fail, sconv_write_new) { write_walk(false); }
Test(alloc_fail, sconv_write_replace) { write_walk(true); }

/* ---- .sconv read, load, parse ---- */

typedef struct read_ctx {
    char dir[256], path[512];
    uint8_t *bytes;
    size_t len;
    sc_layer *orig[2];
    sc_layer **layers, *one;
    size_t n;
    int mode;  /* 0 read, 1 load by name, 2 parse */
} read_ctx;

static sc_status read_step(void *c)
{
    read_ctx *r = c;
    if (r->mode == 0) return sc_file_read(r->path, &r->layers, &r->n);
    if (r->mode == 1) return sc_layer_load(r->path, "second", &r->one);
    return sc_file_parse(r->bytes, r->len, &r->layers, &r->n);
}

static void read_failed(void *c)
{
    read_ctx *r = c;
    cr_assert_eq((void *)r->layers, SENTINEL);
    cr_assert_eq(r->n, 77);
    cr_assert_eq(r->one, SENTINEL);
    rb_expect_file(r->path, r->bytes, r->len);  /* the input file is only read */
    cr_assert_eq(rb_count_entries(r->dir), 1);
}

static void read_done(void *c)
{
    read_ctx *r = c;
    rb_expect_file(r->path, r->bytes, r->len);
    if (r->mode == 1) {
        rb_expect_same_layer(r->one, r->orig[1]);
        sc_layer_destroy(r->one);
        return;
    }
    cr_assert_eq(r->n, 2);
    rb_expect_same_layer(r->layers[0], r->orig[0]);
    rb_expect_same_layer(r->layers[1], r->orig[1]);
    sc_layers_destroy(r->layers, r->n);
}

static void read_walk(int mode, const char *name)
{
    read_ctx r = {.layers = SENTINEL, .one = SENTINEL, .n = 77, .mode = mode};
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    r.orig[0] = rb_layer("first", SC_OIHW, 8, 4, 3, 3, &p, SC_PACK_CHW, true, 0.4, 7);
    r.orig[1] = rb_layer("second", SC_OHWI, 4, 8, 1, 1, NULL, SC_PACK_HWC, false, 0.6, 8);
    rb_make_dir(r.dir);
    rb_path(r.path, r.dir, "in.sconv");
    cr_assert_eq(sc_file_write(r.path, (const sc_layer *const *)r.orig, 2), SC_OK);
    r.bytes = rb_read_bytes(r.path, &r.len);
    cr_assert_not_null(r.bytes);
    cr_expect_geq(rb_alloc_walk(name, read_step, read_failed, read_done, &r), 8);
    sc_layer_destroy(r.orig[0]);
    sc_layer_destroy(r.orig[1]);
    free(r.bytes);
    rb_remove_dir(r.dir);
}

Test(alloc_fail, sconv_read) { read_walk(0, "sc_file_read"); }
Test(alloc_fail, sconv_load) { read_walk(1, "sc_layer_load"); }
Test(alloc_fail, sconv_parse) { read_walk(2, "sc_file_parse"); }

/* ---- .npy read and write ---- */

typedef struct npy_ctx {
    char dir[256], path[512];
    uint8_t *bytes;
    size_t len;
    int64_t shape[3];
    float *data, *data0;
    sc_array out, out0;
    bool write;
    const uint8_t *old;
    size_t old_len;
} npy_ctx;

static sc_status npy_step(void *c)
{
    npy_ctx *k = c;
    return k->write ? sc_npy_write(k->path, 3, k->shape, k->data) : sc_npy_read(k->path, &k->out);
}

static void npy_failed(void *c)
{
    npy_ctx *k = c;
    cr_assert(memcmp(k->data, k->data0, 60 * 4) == 0, "the array changed");
    if (k->write) {
        output_intact(k->dir, k->path, k->old, k->old_len);
    } else {
        cr_assert(memcmp(&k->out, &k->out0, sizeof k->out) == 0, "output written on failure");
        rb_expect_file(k->path, k->bytes, k->len);
    }
}

static void npy_done(void *c)
{
    npy_ctx *k = c;
    if (k->write) {
        cr_assert_eq(sc_npy_read(k->path, &k->out), SC_OK);
        cr_assert_eq(rb_count_entries(k->dir), 1);
    }
    cr_assert_eq(k->out.ndim, 3);
    cr_expect(memcmp(k->out.shape, k->shape, sizeof k->shape) == 0);
    cr_expect(memcmp(k->out.data, k->data0, 60 * 4) == 0, "values differ");
    sc_array_release(&k->out);
}

static void npy_walk(bool write, bool with_old)
{
    npy_ctx k = {.shape = {3, 4, 5}, .write = write};
    k.data = malloc(60 * 4);
    k.data0 = malloc(60 * 4);
    rb_fill(k.data, 60, 0.9, 9);
    memcpy(k.data0, k.data, 60 * 4);
    memset(&k.out, 0xA5, sizeof k.out);
    k.out0 = k.out;
    rb_make_dir(k.dir);
    rb_path(k.path, k.dir, "x.npy");
    static const uint8_t old[] = "previous array";
    if (!write) {
        cr_assert_eq(sc_npy_write(k.path, 3, k.shape, k.data), SC_OK);
        k.bytes = rb_read_bytes(k.path, &k.len);
    } else if (with_old) {
        rb_write_bytes(k.path, old, sizeof old);
        k.old = old;
        k.old_len = sizeof old;
    }
    cr_expect_geq(rb_alloc_walk(write ? (with_old ? "sc_npy_write (replacing a file)" : "sc_npy_write")
                                      : "sc_npy_read",
                                npy_step, npy_failed, npy_done, &k), 2);
    free(k.data);
    free(k.data0);
    free(k.bytes);
    rb_remove_dir(k.dir);
}

Test(alloc_fail, npy_read) { npy_walk(false, false); }
Test(alloc_fail, npy_write_new) { npy_walk(true, false); }
Test(alloc_fail, npy_write_replace) { npy_walk(true, true); }

/* ---- pruning ---- */

typedef struct prune_ctx {
    sc_prune_spec spec;
    sc_wdesc wd[2];
    float *w[2], *w0[2];
    uint8_t *mask[2], *want[2];
    int64_t n[2];
    bool global;
} prune_ctx;

static sc_status prune_step(void *c)
{
    prune_ctx *k = c;
    if (!k->global) return sc_prune_mask(&k->spec, &k->wd[0], k->w[0], k->mask[0]);
    const sc_wdesc *wd[2] = {&k->wd[0], &k->wd[1]};
    const float *w[2] = {k->w[0], k->w[1]};
    return sc_prune_mask_global(&k->spec, 2, wd, w, k->mask);
}

static void prune_failed(void *c)
{
    prune_ctx *k = c;
    for (int l = 0; l < (k->global ? 2 : 1); ++l) {
        cr_assert(memcmp(k->w[l], k->w0[l], (size_t)k->n[l] * 4) == 0, "weights changed");
        for (int64_t i = 0; i < k->n[l]; ++i)
            cr_assert_eq(k->mask[l][i], 0xCC, "mask %d written on failure at %lld", l, (long long)i);
    }
}

static void prune_done(void *c)
{
    prune_ctx *k = c;
    for (int l = 0; l < (k->global ? 2 : 1); ++l) {
        cr_expect(memcmp(k->mask[l], k->want[l], (size_t)k->n[l]) == 0,
                  "mask %d differs from the uninjected run", l);
        memset(k->mask[l], 0xCC, (size_t)k->n[l]);
    }
}

static void prune_walk(const char *method, bool global, const char *name)
{
    prune_ctx k = {.global = global};
    k.spec = sc_prune_spec_default();
    cr_assert_eq(sc_prune_spec_parse(method, &k.spec), SC_OK, "%s", sc_last_message());
    k.spec.amount = 0.5;
    k.wd[0] = (sc_wdesc){SC_OIHW, 8, 4, 3, 3};
    k.wd[1] = (sc_wdesc){SC_HWIO, 4, 2, 3, 3};
    for (int l = 0; l < 2; ++l) {
        k.n[l] = sc_wdesc_numel(&k.wd[l]);
        k.w[l] = malloc((size_t)k.n[l] * 4);
        k.w0[l] = malloc((size_t)k.n[l] * 4);
        k.mask[l] = malloc((size_t)k.n[l]);
        k.want[l] = malloc((size_t)k.n[l]);
        rb_fill(k.w[l], k.n[l], 1.0, 10 + (unsigned)l);
        memcpy(k.w0[l], k.w[l], (size_t)k.n[l] * 4);
    }
    /* the expected masks: the same call without injection */
    if (global) {
        const sc_wdesc *wd[2] = {&k.wd[0], &k.wd[1]};
        const float *w[2] = {k.w[0], k.w[1]};
        cr_assert_eq(sc_prune_mask_global(&k.spec, 2, wd, w, k.want), SC_OK, "%s", sc_last_message());
    } else {
        cr_assert_eq(sc_prune_mask(&k.spec, &k.wd[0], k.w[0], k.want[0]), SC_OK, "%s",
                     sc_last_message());
    }
    for (int l = 0; l < 2; ++l) memset(k.mask[l], 0xCC, (size_t)k.n[l]);
    cr_expect_geq(rb_alloc_walk(name, prune_step, prune_failed, prune_done, &k), 1);
    for (int l = 0; l < 2; ++l) {
        free(k.w[l]); free(k.w0[l]); free(k.mask[l]); free(k.want[l]);
    }
}

Test(alloc_fail, prune_l1) { prune_walk("l1", false, "sc_prune_mask l1"); }
Test(alloc_fail, prune_per_filter) { prune_walk("per-filter", false, "sc_prune_mask per-filter"); }
Test(alloc_fail, prune_block) { prune_walk("block:2x3:l2", false, "sc_prune_mask block"); }
Test(alloc_fail, prune_nm) { prune_walk("nm:2:4", false, "sc_prune_mask nm"); }
Test(alloc_fail, prune_filter) { prune_walk("filter:l1", false, "sc_prune_mask filter"); }
Test(alloc_fail, prune_global) { prune_walk("global", true, "sc_prune_mask_global"); }

/* ---- convolution: create + plan + run, sparse and dense; sc_conv_dense ---- */

typedef struct conv_ctx {
    sc_layer *layer, *copy;
    sc_conv_options opt;
    sc_tensor xd, yd;
    float *x, *x0, *y, *ref, *w;
    sc_wdesc wd;
    sc_conv_params params;
    int64_t xspan, yspan;
    bool direct_dense;  /* sc_conv_dense instead of the operator */
} conv_ctx;

static sc_status conv_step(void *c)
{
    conv_ctx *k = c;
    if (k->direct_dense) {
        sc_layer_info info;
        sc_layer_get_info(k->layer, &info);
        return sc_conv_dense(&k->params, &k->wd, k->w, info.bias, NULL, &k->xd, k->x, &k->yd,
                             k->y, 2);
    }
    sc_conv *op = NULL;
    sc_status st = sc_conv_create(k->layer, &k->opt, &op);
    if (st == SC_OK) st = sc_conv_plan(op, &k->xd, &k->yd);
    if (st == SC_OK) st = sc_conv_run(op, k->x, k->y);
    sc_conv_destroy(op);
    return st;
}

static void conv_failed(void *c)
{
    conv_ctx *k = c;
    cr_assert(memcmp(k->x, k->x0, (size_t)k->xspan * 4) == 0, "input changed");
    for (int64_t i = 0; i < k->yspan; ++i)
        cr_assert(isnan(k->y[i]), "output element %lld written by a failing call", (long long)i);
    rb_expect_same_layer(k->layer, k->copy);
}

static void conv_done(void *c)
{
    conv_ctx *k = c;
    cr_assert(memcmp(k->x, k->x0, (size_t)k->xspan * 4) == 0, "input changed");
    double scale = 0;
    for (int64_t i = 0; i < k->yspan; ++i) scale = fmax(scale, fabs(k->ref[i]));
    for (int64_t i = 0; i < k->yspan; ++i)
        cr_assert(fabs(k->y[i] - k->ref[i]) <= 1e-5 * (scale + 1), "y[%lld] = %g, reference %g",
                  (long long)i, (double)k->y[i], (double)k->ref[i]);
}

/* A 3x3 layer (padded in NCHW; strided, grouped and padded in NHWC), or with ks 1 an
 * unpadded 1x1 one (on AVX-512, the dense engine's matmul in NCHW). */
static void conv_walk(const char *name, sc_engine engine, bool nhwc, bool direct_dense, int ks)
{
    conv_ctx k = {.direct_dense = direct_dense};
    sc_conv_params p = sc_conv_params_default();
    int64_t n = 1, oc = 8, icg = 4, hw = 9;
    if (nhwc) {  /* strided, grouped, padded: the phase-plane and panel paths */
        n = 2;
        p.groups = 2;
        p.stride_h = p.stride_w = 2;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
        icg = 3;
    } else if (ks > 1) {
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    } else {
        hw = 14;  /* the matmul's smallest image */
    }
    k.params = p;
    k.layer = rb_layer("conv", SC_OIHW, oc, icg, ks, ks, &p, nhwc ? SC_PACK_HWC : SC_PACK_CHW,
                       true, 0.4, 12);
    cr_assert_eq(sc_layer_clone(k.layer, &k.copy), SC_OK);
    k.wd = (sc_wdesc){SC_OIHW, oc, icg, ks, ks};
    k.w = malloc((size_t)sc_wdesc_numel(&k.wd) * 4);
    cr_assert_eq(sc_layer_unpack(k.layer, SC_OIHW, k.w), SC_OK);
    const int64_t c = icg * p.groups;
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&p, ks, ks, hw, hw, &oh, &ow), SC_OK);
    k.xd = nhwc ? sc_tensor_nhwc(n, c, hw, hw) : sc_tensor_nchw(n, c, hw, hw);
    k.yd = nhwc ? sc_tensor_nhwc(n, oc, oh, ow) : sc_tensor_nchw(n, oc, oh, ow);
    k.xspan = sc_tensor_span(&k.xd);
    k.yspan = sc_tensor_span(&k.yd);
    k.x = malloc((size_t)k.xspan * 4);
    k.x0 = malloc((size_t)k.xspan * 4);
    k.y = malloc((size_t)k.yspan * 4);
    k.ref = malloc((size_t)k.yspan * 4);
    rb_fill(k.x, k.xspan, 1.0, 13);
    memcpy(k.x0, k.x, (size_t)k.xspan * 4);
    for (int64_t i = 0; i < k.yspan; ++i) k.y[i] = NAN;
    sc_layer_info info;
    sc_layer_get_info(k.layer, &info);
    cr_assert_eq(sc_conv_reference(&p, &k.wd, k.w, info.bias, NULL, &k.xd, k.x, &k.yd, k.ref),
                 SC_OK, "%s", sc_last_message());
    k.opt = sc_conv_options_default();
    k.opt.engine = engine;
    k.opt.threads = 2;
    cr_expect_geq(rb_alloc_walk(name, conv_step, conv_failed, conv_done, &k), 1);
    sc_layer_destroy(k.layer);
    sc_layer_destroy(k.copy);
    free(k.w); free(k.x); free(k.x0); free(k.y); free(k.ref);
}

Test(alloc_fail, conv_sparse_nchw) { conv_walk("conv sparse nchw", SC_ENGINE_SPARSE, false, false, 3); }
Test(alloc_fail, conv_sparse_nhwc_strided) { conv_walk("conv sparse nhwc strided grouped", SC_ENGINE_SPARSE, true, false, 3); }
Test(alloc_fail, conv_dense_engine_nchw) { conv_walk("conv dense-engine nchw", SC_ENGINE_DENSE, false, false, 3); }
Test(alloc_fail, conv_dense_engine_nchw_1x1) { conv_walk("conv dense-engine nchw 1x1", SC_ENGINE_DENSE, false, false, 1); }
Test(alloc_fail, sc_conv_dense_nchw_1x1) { conv_walk("sc_conv_dense nchw 1x1", SC_ENGINE_AUTO, false, true, 1); }
Test(alloc_fail, conv_dense_engine_nhwc) { conv_walk("conv dense-engine nhwc strided grouped", SC_ENGINE_DENSE, true, false, 3); }
Test(alloc_fail, conv_auto) { conv_walk("conv auto nchw", SC_ENGINE_AUTO, false, false, 3); }
Test(alloc_fail, sc_conv_dense_nchw) { conv_walk("sc_conv_dense nchw", SC_ENGINE_AUTO, false, true, 3); }
Test(alloc_fail, sc_conv_dense_nhwc) { conv_walk("sc_conv_dense nhwc strided grouped", SC_ENGINE_AUTO, true, true, 3); }
