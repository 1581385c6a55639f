/* bench/backward_bench.c: sconv backward data (sparse) against oneDNN's convolution_backward_data, same run */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "sconv.h"

#ifdef SCB_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

/* ResNet-50 (v1.5, batch 1) layers: 1x1 reduce/expand, 3x3 and the strided 3x3. */
typedef struct bb_shape {
    const char *name;
    int64_t cin, cout, h, w, k, stride, pad;
} bb_shape;

static const bb_shape shapes[] = {
    {"res2_reduce", 256, 64, 56, 56, 1, 1, 0},   {"res3_reduce", 512, 128, 28, 28, 1, 1, 0},
    {"res4_expand", 256, 1024, 14, 14, 1, 1, 0}, {"res2_3x3", 64, 64, 56, 56, 3, 1, 1},
    {"res3_3x3", 128, 128, 28, 28, 3, 1, 1},     {"res4_3x3", 256, 256, 14, 14, 3, 1, 1},
    {"res3_3x3_s2", 128, 128, 56, 56, 3, 2, 1},
};

static uint64_t rng_state = 88172645463325252ull;
static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

#ifdef SCB_HAVE_ONEDNN
/* oneDNN backward data: diff_dst and diff_src in the plain layout, weights reordered once
 * from the pruned OIHW array into the primitive's preferred format. */
typedef struct dnnl_bwd {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_primitive_t prim;
    dnnl_memory_t dy, wei, dx;
    char impl[96];
} dnnl_bwd;

#define DN(call)                                                                           \
    do {                                                                                   \
        dnnl_status_t st_ = (call);                                                        \
        if (st_ != dnnl_success) {                                                         \
            fprintf(stderr, "backward_bench: %s failed with status %d\n", #call, (int)st_); \
            return -1;                                                                     \
        }                                                                                  \
    } while (0)

/* Reorder src (described by smd) into a new memory of md, once, outside the timing. */
static int dnnl_reorder_into(dnnl_bwd *s, const dnnl_memory_desc_t *smd, const void *src,
                             const dnnl_memory_desc_t *md, dnnl_memory_t *out)
{
    dnnl_memory_t from;
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t reorder;
    DN(dnnl_memory_create(&from, smd, s->eng, (void *)src));
    DN(dnnl_memory_create(out, md, s->eng, DNNL_MEMORY_ALLOCATE));
    DN(dnnl_reorder_primitive_desc_create(&rpd, smd, s->eng, md, s->eng, NULL));
    DN(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, *out}};
    DN(dnnl_primitive_execute(reorder, s->stream, 2, rargs));
    DN(dnnl_stream_wait(s->stream));
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_memory_destroy(from);
    return 0;
}

/* blocked = 0: diff_dst / diff_src in the point's plain layout (the caller's buffers);
 * blocked = 1: in the layout oneDNN prefers (format any, typically nChw8c), dY reordered into
 * it once at setup: oneDNN's best case, reorders excluded. */
static int dnnl_bwd_setup(dnnl_bwd *s, const bb_shape *sh, int nhwc, int blocked,
                          const float *w, const float *dy, float *dx, int64_t oh, int64_t ow)
{
    const dnnl_format_tag_t tag = blocked ? dnnl_format_tag_any : nhwc ? dnnl_nhwc : dnnl_nchw;
    dnnl_dims_t src_dims = {1, sh->cin, sh->h, sh->w}, dst_dims = {1, sh->cout, oh, ow};
    dnnl_dims_t w_dims = {sh->cout, sh->cin, sh->k, sh->k};
    dnnl_dims_t strides = {sh->stride, sh->stride}, dil = {0, 0}, pad = {sh->pad, sh->pad};
    dnnl_memory_desc_t src_md, dst_md, wany_md, wuser_md, dy_user_md;
    DN(dnnl_engine_create(&s->eng, dnnl_cpu, 0));
    DN(dnnl_stream_create(&s->stream, s->eng, dnnl_stream_default_flags));
    DN(dnnl_memory_desc_init_by_tag(&src_md, 4, src_dims, dnnl_f32, tag));
    DN(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_f32, tag));
    DN(dnnl_memory_desc_init_by_tag(&wany_md, 4, w_dims, dnnl_f32, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&wuser_md, 4, w_dims, dnnl_f32, dnnl_oihw));
    DN(dnnl_memory_desc_init_by_tag(&dy_user_md, 4, dst_dims, dnnl_f32,
                                    nhwc ? dnnl_nhwc : dnnl_nchw));
    dnnl_convolution_desc_t fd, bd;
    dnnl_primitive_desc_t fpd, bpd, rpd;
    DN(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training,
                                                  dnnl_convolution_direct, &src_md, &wany_md,
                                                  NULL, &dst_md, strides, dil, pad, pad));
    DN(dnnl_primitive_desc_create(&fpd, &fd, NULL, s->eng, NULL));
    DN(dnnl_dilated_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &src_md,
                                                        &wany_md, &dst_md, strides, dil, pad,
                                                        pad));
    DN(dnnl_primitive_desc_create(&bpd, &bd, NULL, s->eng, fpd));
    const char *impl = "?";
    DN(dnnl_primitive_desc_query(bpd, dnnl_query_impl_info_str, 0, &impl));
    snprintf(s->impl, sizeof s->impl, "%s", impl);
    DN(dnnl_primitive_create(&s->prim, bpd));
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(bpd, dnnl_query_weights_md, 0);
    dnnl_memory_t wuser;
    DN(dnnl_memory_create(&wuser, &wuser_md, s->eng, (void *)w));
    DN(dnnl_memory_create(&s->wei, wmd, s->eng, DNNL_MEMORY_ALLOCATE));
    DN(dnnl_reorder_primitive_desc_create(&rpd, &wuser_md, s->eng, wmd, s->eng, NULL));
    dnnl_primitive_t reorder;
    DN(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, wuser}, {DNNL_ARG_TO, s->wei}};
    DN(dnnl_primitive_execute(reorder, s->stream, 2, rargs));
    DN(dnnl_stream_wait(s->stream));
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_memory_destroy(wuser);
    if (blocked) {
        const dnnl_memory_desc_t *dmd = dnnl_primitive_desc_query_md(bpd,
                                                                      dnnl_query_diff_dst_md, 0);
        const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(bpd,
                                                                      dnnl_query_diff_src_md, 0);
        if (dnnl_reorder_into(s, &dy_user_md, dy, dmd, &s->dy) != 0) return -1;
        DN(dnnl_memory_create(&s->dx, smd, s->eng, DNNL_MEMORY_ALLOCATE));
    } else {
        DN(dnnl_memory_create(&s->dy, &dst_md, s->eng, (void *)dy));
        DN(dnnl_memory_create(&s->dx, &src_md, s->eng, dx));
    }
    dnnl_primitive_desc_destroy(bpd);
    dnnl_primitive_desc_destroy(fpd);
    return 0;
}

static int dnnl_bwd_run(dnnl_bwd *s)
{
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_DIFF_DST, s->dy}, {DNNL_ARG_WEIGHTS, s->wei},
                               {DNNL_ARG_DIFF_SRC, s->dx}};
    DN(dnnl_primitive_execute(s->prim, s->stream, 3, args));
    DN(dnnl_stream_wait(s->stream));
    return 0;
}

static void dnnl_bwd_free(dnnl_bwd *s)
{
    if (s->prim) dnnl_primitive_destroy(s->prim);
    if (s->dy) dnnl_memory_destroy(s->dy);
    if (s->wei) dnnl_memory_destroy(s->wei);
    if (s->dx) dnnl_memory_destroy(s->dx);
    if (s->stream) dnnl_stream_destroy(s->stream);
    if (s->eng) dnnl_engine_destroy(s->eng);
}
#endif

static int use_onednn = 1;  /* --no-onednn: sconv alone (profilers, callgrind) */

static int usage(void)
{
    fprintf(stderr, "usage: backward_bench [--threads T] [--reps R] [--sparsity a,b,...] "
                    "[--layout nchw|nhwc|both] [--shape NAME]... [--no-onednn]\n");
    return 2;
}

/* One (shape, layout, sparsity) point: sconv and oneDNN interleaved, rep by rep. */
static int bench_point(const bb_shape *sh, int nhwc, double sparsity, int threads, int reps)
{
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = p.stride_w = sh->stride;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = sh->pad;
    int64_t oh, ow;
    if (sc_conv_output_hw(&p, sh->k, sh->k, sh->h, sh->w, &oh, &ow) != SC_OK) return -1;
    const sc_wdesc wd = {SC_OIHW, sh->cout, sh->cin, sh->k, sh->k};
    const int64_t nw = sc_wdesc_numel(&wd);
    const int64_t nx = sh->cin * sh->h * sh->w, ny = sh->cout * oh * ow;
    /* activations 64-byte aligned, as a framework allocates them (an NHWC dX 16 bytes off
     * a 32-byte boundary made sconv's transposed stores split cache lines: 1.5-2x slower) */
    float *w = malloc((size_t)nw * sizeof *w);
    float *dy = aligned_alloc(64, ((size_t)ny * sizeof *dy + 127) / 64 * 64);
    float *dx = aligned_alloc(64, ((size_t)nx * sizeof *dx + 127) / 64 * 64);
    float *dx2 = aligned_alloc(64, ((size_t)nx * sizeof *dx + 127) / 64 * 64);
    uint8_t *mask = malloc((size_t)nw);
    int64_t kept = 0;
    for (int64_t i = 0; i < nw; ++i) {
        mask[i] = uniform() >= sparsity;
        w[i] = mask[i] ? (float)(2 * uniform() - 1) : 0.0f;
        kept += mask[i];
    }
    for (int64_t i = 0; i < ny; ++i) dy[i] = (float)(2 * uniform() - 1);
    sc_pack_options po = sc_pack_options_default();
    po.params = p;
    po.order = nhwc ? SC_PACK_HWC : SC_PACK_CHW;
    sc_layer *layer = NULL;
    sc_conv_bwd *op = NULL;
    const sc_tensor dyd = nhwc ? sc_tensor_nhwc(1, sh->cout, oh, ow)
                               : sc_tensor_nchw(1, sh->cout, oh, ow);
    const sc_tensor dxd = nhwc ? sc_tensor_nhwc(1, sh->cin, sh->h, sh->w)
                               : sc_tensor_nchw(1, sh->cin, sh->h, sh->w);
    sc_conv_bwd_options bo = sc_conv_bwd_options_default();
    bo.threads = threads;
    sc_status st = sc_layer_pack(&wd, w, mask, &po, &layer);
    if (st == SC_OK) st = sc_conv_bwd_create(layer, &bo, &op);
    if (st == SC_OK) st = sc_conv_bwd_plan(op, &dyd, &dxd);
    if (st != SC_OK) {
        fprintf(stderr, "backward_bench: %s: %s\n", sc_strerror(st), sc_last_message());
        return -1;
    }
    double *ts = malloc((size_t)reps * sizeof *ts), *td = malloc((size_t)reps * sizeof *td);
    double *tb = malloc((size_t)reps * sizeof *tb);
    double t_dnnl = NAN, t_dnnl_min = NAN, t_blk = NAN, t_blk_min = NAN, err = NAN;
    const char *impl = "unavailable", *impl_blk = "unavailable";
#ifdef SCB_HAVE_ONEDNN
    dnnl_bwd dn, db;
    memset(&dn, 0, sizeof dn);
    memset(&db, 0, sizeof db);
    const int have_dnnl = use_onednn && dnnl_bwd_setup(&dn, sh, nhwc, 0, w, dy, dx2, oh, ow) == 0;
    const int have_blk = use_onednn && dnnl_bwd_setup(&db, sh, nhwc, 1, w, dy, NULL, oh, ow) == 0;
    if (have_dnnl) impl = dn.impl;
    if (have_blk) impl_blk = db.impl;
#else
    const int have_dnnl = 0, have_blk = 0;
#endif
    /* Engines interleaved rep by rep (drift on a shared machine hits all alike); warm
     * buffers: each timed run follows an untimed run of the same engine, so no engine pays
     * for the cache lines another one evicted. Two warm-up rounds first. */
    for (int r = -2; r < reps; ++r) {
        sc_conv_bwd_run(op, dy, dx);
        double t0 = sc_now_s();
        sc_conv_bwd_run(op, dy, dx);
        const double t1 = sc_now_s();
        if (r >= 0) ts[r] = t1 - t0;
#ifdef SCB_HAVE_ONEDNN
        if (have_dnnl) {
            dnnl_bwd_run(&dn);
            t0 = sc_now_s();
            dnnl_bwd_run(&dn);
            if (r >= 0) td[r] = sc_now_s() - t0;
        }
        if (have_blk) {
            dnnl_bwd_run(&db);
            t0 = sc_now_s();
            dnnl_bwd_run(&db);
            if (r >= 0) tb[r] = sc_now_s() - t0;
        }
#endif
    }
    const double t_sconv = sc_median(ts, (size_t)reps);
    if (have_blk) {
        t_blk = sc_median(tb, (size_t)reps);
        t_blk_min = tb[0];
    }
    if (have_dnnl) {
        t_dnnl = sc_median(td, (size_t)reps);
        t_dnnl_min = td[0];
        double dmax = 0.0, vmax = 0.0;
        for (int64_t i = 0; i < nx; ++i) {
            dmax = fmax(dmax, fabs((double)dx[i] - dx2[i]));
            vmax = fmax(vmax, fabs((double)dx2[i]));
        }
        err = dmax / (vmax > 0 ? vmax : 1);
    }
    const double flops = 2.0 * (double)(sh->cout * oh * ow) * (double)(sh->cin * sh->k * sh->k);
    printf("%s,%lld,%lld,%lld,%lld,%lld,%lld,%s,%d,%.3f,%.4f,%.4f,%.2f,%.4f,%.4f,%.2f,%.1f,%.1f,"
           "%.2e,%s,%.4f,%.4f,%.2f,%s\n",
           sh->name, (long long)sh->cin, (long long)sh->cout, (long long)sh->h,
           (long long)sh->k, (long long)sh->stride, (long long)sh->pad, nhwc ? "nhwc" : "nchw",
           threads, 1.0 - (double)kept / (double)nw, 1e3 * t_sconv, 1e3 * t_dnnl,
           t_dnnl / t_sconv, 1e3 * ts[0], 1e3 * t_dnnl_min, t_dnnl_min / ts[0],
           flops / t_sconv * 1e-9, flops / t_dnnl * 1e-9, err, impl, 1e3 * t_blk,
           1e3 * t_blk_min, t_blk_min / ts[0], impl_blk);
    fflush(stdout);
#ifdef SCB_HAVE_ONEDNN
    dnnl_bwd_free(&dn);
    dnnl_bwd_free(&db);
#endif
    sc_conv_bwd_destroy(op);
    sc_layer_destroy(layer);
    free(w), free(dy), free(dx), free(dx2), free(mask), free(ts), free(td), free(tb);
    return 0;
}

int main(int argc, char **argv)
{
    int threads = 1, reps = 11, layouts = 3;
    double sp[16] = {0.5, 0.8, 0.9, 0.95};
    int n_sp = 4;
    const char *only[16];
    int n_only = 0;
    for (int a = 1; a < argc; ++a) {
        if (!strcmp(argv[a], "--threads") && a + 1 < argc) threads = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--reps") && a + 1 < argc) reps = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--layout") && a + 1 < argc) {
            const char *l = argv[++a];
            layouts = !strcmp(l, "nchw") ? 1 : !strcmp(l, "nhwc") ? 2 : 3;
        } else if (!strcmp(argv[a], "--sparsity") && a + 1 < argc) {
            n_sp = 0;
            for (char *s = argv[++a]; *s && n_sp < 16;) {
                char *end;
                sp[n_sp++] = strtod(s, &end);
                s = *end == ',' ? end + 1 : end;
                if (end == s && *s) return usage();
            }
        } else if (!strcmp(argv[a], "--no-onednn")) {
            use_onednn = 0;
        } else if (!strcmp(argv[a], "--shape") && a + 1 < argc && n_only < 16) {
            only[n_only++] = argv[++a];
        } else {
            return usage();
        }
    }
    if (threads < 1 || reps < 1) return usage();
    omp_set_num_threads(threads);
    printf("# backward data, batch 1, fp32, warm buffers (each timed run follows an untimed one of "
           "the same engine), %d reps, engines interleaved; "
           "medians (speedup_vs_onednn) and minima (speedup_of_minima)\n", reps);
    printf("layer,cin,cout,hw,k,stride,pad,layout,threads,sparsity,sconv_ms,onednn_ms,"
           "speedup_vs_onednn,sconv_ms_min,onednn_ms_min,speedup_of_minima,sconv_gflops_eff,"
           "onednn_gflops,max_rel_diff,onednn_impl,onednn_blocked_ms,onednn_blocked_ms_min,"
           "speedup_of_minima_vs_blocked,onednn_blocked_impl\n");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
        int want = n_only == 0;
        for (int i = 0; i < n_only; ++i) want |= !strcmp(only[i], shapes[s].name);
        if (!want) continue;
        for (int l = 0; l < 2; ++l) {
            if (!(layouts & (1 << l))) continue;
            for (int i = 0; i < n_sp; ++i)
                if (bench_point(&shapes[s], l, sp[i], threads, reps) != 0) return 1;
        }
    }
    return 0;
}
