/* src/dense/conv_dense.c: the fast dense convolution: oneDNN where it takes the problem, else pack, sgemm, epilogue */
#include <cblas.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "dense/dense_impl.h"

/* Tile size. A packed tile (kdim x tile floats) plus an output tile (ocg x tile) should
 * stay near a 512 KiB L2 so the gemm reads the panel it just wrote from cache; tiles below
 * 64 pixels make sgemm call overhead visible, above 1024 pixels give no further gain
 * (docs/layouts.md, "The dense convolutions and layouts"). */
#define SCRATCH_BYTES ((int64_t)512 << 10)
#define TILE_MIN 64
#define TILE_MAX 1024

static bool fits_int(int64_t v)
{
    return v >= 1 && v <= INT_MAX;
}

/* Where the gemm's pixel operand comes from. A 1x1, stride-1, unpadded conv whose input
 * pixels are evenly spaced needs no packing: the group's input is already a matrix, either
 * channel rows of unit-stride pixels (NCHW-like, k_rows) or pixel rows of unit-stride
 * channels (NHWC-like). Otherwise the reduction order follows the input: (kh,kw,c) when
 * channels are closer together than pixels (im2row), else (c,kh,kw) (im2col). With fewer
 * than 4 channels per group im2row's per-tap copies are too short to pay, so im2col is
 * used there. The one exception: when the weights' layout holds the other order in place
 * (OIHW is (c,kh,kw); OHWI and HWIO are (kh,kw,c)) and there are more output channels than
 * output pixels in the call, converting the weights (oc*kdim floats, into fresh memory,
 * every call) would cost more than packing against the input's grain (kdim floats per
 * pixel), so the weights' order wins (docs/layouts.md, "The dense convolutions and
 * layouts"). */
static void plan_input(sc_dense_plan *pl, sc_wlayout wlayout)
{
    const sc_conv_params *p = &pl->p;
    const int64_t *xs = pl->xs;
    const int64_t pix = pl->iw > 1 ? xs[SC_W] : xs[SC_H];  /* distance between input pixels */
    pl->hwc_order = pl->icg >= 4 && xs[SC_C] < pix;
    const bool w_hwc = wlayout != SC_OIHW;
    if (pl->kh * pl->kw > 1 && w_hwc != pl->hwc_order && (!w_hwc || pl->icg >= 4) &&
        pl->oc > pl->npix * pl->nb)
        pl->hwc_order = w_hwc;
    pl->direct_in = false;
    const bool one = pl->kh == 1 && pl->kw == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                     p->pad_top == 0 && p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0;
    const bool linear = pl->ih == 1 || pl->iw == 1 || xs[SC_H] == pl->iw * xs[SC_W];
    if (!one || !linear) return;
    const int64_t col_ld = pl->icg == 1 ? pl->npix : xs[SC_C];
    const int64_t row_ld = pl->npix == 1 ? pl->icg : pix;
    if ((pl->npix == 1 || pix == 1) && col_ld >= pl->npix && fits_int(col_ld)) {
        pl->direct_in = true;
        pl->hwc_order = false;
        pl->xin = (sc_dense_mat){.ld = col_ld, .k_rows = true};
        pl->x_pix = 1;
    } else if ((pl->icg == 1 || xs[SC_C] == 1) && row_ld >= pl->icg && fits_int(row_ld)) {
        pl->direct_in = true;
        pl->hwc_order = true;
        pl->xin = (sc_dense_mat){.ld = row_ld, .k_rows = false};
        pl->x_pix = pix;
    }
}

/* Where the gemm writes. When y's output pixels are evenly spaced and either its pixels
 * (channels x pixels result) or its channels (pixels x channels result) are unit-stride,
 * the gemm writes y in place and the epilogue runs over it there; otherwise the result
 * goes to a tile buffer oriented like y and sc_dense_store scatters it. */
static void plan_output(sc_dense_plan *pl)
{
    const int64_t *ys = pl->ys;
    const int64_t pix = pl->ow > 1 ? ys[SC_W] : ys[SC_H];
    const bool linear = pl->oh == 1 || pl->ow == 1 || ys[SC_H] == pl->ow * ys[SC_W];
    const int64_t cp_ld = pl->ocg == 1 ? pl->npix : ys[SC_C];
    const int64_t pc_ld = pl->npix == 1 ? pl->ocg : pix;
    pl->direct_out = false;
    pl->out_pc = ys[SC_C] < pix;
    if (linear && (pl->npix == 1 || pix == 1) && cp_ld >= pl->npix && fits_int(cp_ld)) {
        pl->direct_out = true;
        pl->out_pc = false;
        pl->y_ld = cp_ld;
        pl->y_pix = 1;
    } else if (linear && (pl->ocg == 1 || ys[SC_C] == 1) && pc_ld >= pl->ocg && fits_int(pc_ld)) {
        pl->direct_out = true;
        pl->out_pc = true;
        pl->y_ld = pc_ld;
        pl->y_pix = pix;
    }
}

/* Floats of scratch one work item needs per output pixel. */
static int64_t scratch_per_pixel(const sc_dense_plan *pl)
{
    return (pl->direct_in ? 0 : pl->kdim) + (pl->direct_out ? 0 : pl->ocg);
}

/* A batch that gives fewer than ITEMS_MIN (image, tile) work items is cut further, so 2 or
 * 4 threads get equal shares: one small image is a single tile (a 1x1 layer up to 32x32
 * pixels, a 3x3 layer of 7x7), and on 2 threads 256->256 @28^2 and 1024->256 @14^2 ran no
 * faster than on one. Either cut costs a repacking inside sgemm on every thread count:
 * more tiles pack the weights (kdim x ocg) once per tile, channel blocks pack the pixel
 * operand (kdim x tile) once per block. So images with more pixels than output channels
 * take more tiles (tiles stay >= TILE_MIN), the others channel blocks of >= OCB_MIN. */
enum { ITEMS_MIN = 4, OCB_MIN = 32 };

/* Pixels per work item: from the scratch budget and the shape, never from the thread
 * count, so every thread count computes the same gemms (1 and 2 threads agree bitwise).
 * Tiles of an image are made equal, and more than one tile is rounded up to a multiple of
 * 4 tiles so 2 or 4 threads get equal shares of a single image. */
static void plan_tile(sc_dense_plan *pl)
{
    const int64_t per = scratch_per_pixel(pl);
    int64_t t = per == 0 ? TILE_MAX : SCRATCH_BYTES / (per * (int64_t)sizeof(float));
    t = t < TILE_MIN ? TILE_MIN : t > TILE_MAX ? TILE_MAX : t;
    if (t > pl->npix) t = pl->npix;
    int64_t ntiles = (pl->npix + t - 1) / t;
    if (pl->nb * ntiles < ITEMS_MIN && pl->ocg < pl->npix && pl->npix >= ITEMS_MIN * TILE_MIN)
        ntiles = ntiles > 2 ? ntiles : 2;  /* rounded to 4 below */
    if (ntiles > 1) ntiles = (ntiles + 3) / 4 * 4;
    if (ntiles > pl->npix) ntiles = pl->npix;
    pl->tile = (pl->npix + ntiles - 1) / ntiles;
    pl->ntiles = (pl->npix + pl->tile - 1) / pl->tile;
}

/* Output-channel blocks per (image, tile): see ITEMS_MIN. Blocks are rounded to 16
 * channels (the gemm's row unroll); from the shape only, like the tiles. */
static void plan_oc_blocks(sc_dense_plan *pl)
{
    const int64_t items = pl->nb * pl->ntiles;
    int64_t nblk = items >= ITEMS_MIN ? 1 : (ITEMS_MIN + items - 1) / items;
    while (nblk > 1 && pl->ocg / nblk < OCB_MIN) --nblk;
    int64_t ocb = (pl->ocg + nblk - 1) / nblk;
    if (nblk > 1) ocb = (ocb + 15) / 16 * 16;
    pl->ocb = ocb < pl->ocg ? ocb : pl->ocg;
    pl->n_ocb = (pl->ocg + pl->ocb - 1) / pl->ocb;
}

/* C = W * B (channels x pixels, ldc) or C = B^T * W^T (pixels x channels) for output
 * channels [o0, o0 + no) of the group whose weights start at wg, one single-threaded
 * sgemm, plus beta * C (1: an accumulating plan's old y); B holds np pixels, element (k, j). */
static void gemm(const sc_dense_plan *pl, const float *wg, int64_t o0, int64_t no,
                 const sc_dense_mat *b, int64_t np, float *c, int64_t ldc, float beta)
{
    const sc_dense_mat *w = &pl->wmat;
    const float *wo = wg + (w->k_rows ? o0 : o0 * w->ld);
    if (!pl->out_pc)
        cblas_sgemm(CblasRowMajor, w->k_rows ? CblasTrans : CblasNoTrans,
                    b->k_rows ? CblasNoTrans : CblasTrans, (int)no, (int)np, (int)pl->kdim,
                    1.0f, wo, (int)w->ld, b->a, (int)b->ld, beta, c, (int)ldc);
    else
        cblas_sgemm(CblasRowMajor, b->k_rows ? CblasTrans : CblasNoTrans,
                    w->k_rows ? CblasNoTrans : CblasTrans, (int)np, (int)no, (int)pl->kdim,
                    1.0f, b->a, (int)b->ld, wo, (int)w->ld, beta, c, (int)ldc);
}

/* One work item: output pixels [p0, p0+np) of image n, channels [o0, o0+no) of every
 * group. `packed` says packbuf already holds this (image, tile) of the only group (a
 * thread's previous item was another channel block of it), so it is not packed again. */
static void run_item(const sc_dense_plan *pl, const float *x, float *y, int64_t n, int64_t p0,
                     int64_t np, int64_t o0, int64_t no, bool packed, float *packbuf,
                     float *outbuf)
{
    const int64_t *xs = pl->xs, *ys = pl->ys;
    const int64_t groups = pl->p.groups;
    for (int64_t g = 0; g < groups; ++g) {
        const float *xg = x + n * xs[SC_N] + g * pl->icg * xs[SC_C];
        sc_dense_mat b;
        if (pl->direct_in) {
            b = pl->xin;
            b.a = xg + p0 * pl->x_pix;
        } else {
            if (!packed) sc_dense_pack(pl, xg, p0, np, packbuf);
            b = (sc_dense_mat){.a = packbuf, .ld = pl->hwc_order ? pl->kdim : np,
                               .k_rows = !pl->hwc_order};
        }
        const float *wg = pl->wmat.a + g * pl->wmat.goff;
        if (pl->direct_out) {
            float *c = y + n * ys[SC_N] + (g * pl->ocg + o0) * ys[SC_C] + p0 * pl->y_pix;
            gemm(pl, wg, o0, no, &b, np, c, pl->y_ld, pl->accumulate ? 1.0f : 0.0f);
            if (pl->needs_epilogue)
                sc_dense_store(pl, c, pl->out_pc ? 1 : pl->y_ld, pl->out_pc ? pl->y_ld : 1, n, g,
                               o0, no, p0, np, false, y);
        } else {
            gemm(pl, wg, o0, no, &b, np, outbuf, pl->out_pc ? no : np, 0.0f);
            sc_dense_store(pl, outbuf, pl->out_pc ? 1 : np, pl->out_pc ? no : 1, n, g, o0, no,
                           p0, np, pl->accumulate, y);
        }
    }
}

void sc_dense_plan_clear(sc_dense_plan *pl)
{
    sc_dense_onednn_destroy(pl->onednn);
    if (pl->scratch) sc_scratch_release(pl->scratch);
    sc_free(pl->scratch);
    sc_free(pl->owned_w);
    sc_free(pl->unpacked_w);
    memset(pl, 0, sizeof *pl);
}

/* The planning proper: checks, shapes, the strides' choices, tiles and the weight operand
 * (converted once here rather than per run). */
static sc_status plan_build(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                            const sc_tensor *xd, const sc_tensor *yd, const sc_dense_options *o,
                            sc_dense_plan *pl)
{
    sc_status st = sc_conv_check(p, wd, xd, yd);
    if (st == SC_OK) st = sc_activation_check(&o->act);
    if (st == SC_OK) st = sc_threads_check("dense conv", o->threads);
    if (st != SC_OK) return st;
    *pl = (sc_dense_plan){
        .p = *p, .nb = xd->dims[SC_N], .ic = xd->dims[SC_C], .ih = xd->dims[SC_H],
        .iw = xd->dims[SC_W], .oc = yd->dims[SC_C], .oh = yd->dims[SC_H], .ow = yd->dims[SC_W],
        .icg = wd->icg, .ocg = wd->oc / p->groups, .kh = wd->kh, .kw = wd->kw, .bias = o->bias,
        .ep = sc_epilogue_make(&o->act), .threads = o->threads,
        .accumulate = o->accumulate != 0,
    };
    pl->kdim = wd->icg * wd->kh * wd->kw;  /* fits: sc_conv_check bounded the element count */
    pl->npix = pl->oh * pl->ow;
    pl->needs_epilogue = o->bias != NULL || !sc_epilogue_is_identity(&pl->ep);
    for (int d = 0; d < 4; ++d) {
        pl->xs[d] = xd->strides[d];
        pl->ys[d] = yd->strides[d];
    }
    if (!fits_int(pl->kdim) || !fits_int(pl->oc))
        return sc_fail(SC_EUNSUPPORTED, "dense conv: reduction length %lld or %lld output "
                       "channels exceed the BLAS integer range", (long long)pl->kdim,
                       (long long)pl->oc);
    if ((st = sc_alloc_array((void **)&pl->scratch, 1, sizeof *pl->scratch, true,
                             "dense conv: scratch slot")) != SC_OK)
        return st;
    atomic_init(&pl->scratch->idle, NULL);
    char impl[48];
    st = sc_dense_onednn_build(pl, wd, w, &pl->onednn, impl, sizeof impl);
    if (st == SC_OK) {
        snprintf(pl->kernel, sizeof pl->kernel, "dense_onednn:%s", impl);
        return SC_OK;
    }
    if (st != SC_EUNSUPPORTED) return st;
    snprintf(pl->kernel, sizeof pl->kernel, "dense_im2col_sgemm");
    if (pl->icg == 1 && p->groups > 1) {
        pl->depthwise = true;
        if ((st = sc_dense_depthwise_weights(pl, wd, w, &pl->owned_w)) != SC_OK) return st;
        pl->wmat = (sc_dense_mat){.a = pl->owned_w};
        return SC_OK;
    }
    plan_input(pl, wd->layout);
    plan_output(pl);
    plan_tile(pl);
    plan_oc_blocks(pl);
    return sc_dense_weight_operand(wd, w, p->groups, pl->hwc_order, &pl->wmat, &pl->owned_w);
}

sc_status sc_dense_plan_build(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                              const sc_tensor *xd, const sc_tensor *yd,
                              const sc_dense_options *o, sc_dense_plan *pl)
{
    memset(pl, 0, sizeof *pl);
    sc_status st = plan_build(p, wd, w, xd, yd, o, pl);
    if (st != SC_OK) sc_dense_plan_clear(pl);
    return st;
}

sc_status sc_dense_plan_build_layer(const sc_layer *L, const sc_tensor *xd,
                                    const sc_tensor *yd, const sc_dense_options *o,
                                    sc_dense_plan *pl)
{
    sc_layer_info info;
    float *w = NULL;
    memset(pl, 0, sizeof *pl);
    sc_status st = sc_layer_get_info(L, &info);
    if (st != SC_OK) return st;
    sc_wdesc wd = info.wdesc;
    const sc_conv_params p = info.params;
    wd.layout = SC_OIHW;
    st = sc_alloc_array((void **)&w, (size_t)sc_wdesc_numel(&wd), sizeof(float),
                                  false, "conv: dense weights");
    if (st == SC_OK) st = sc_layer_unpack(L, SC_OIHW, w);
    if (st == SC_OK) st = sc_dense_plan_build(&p, &wd, w, xd, yd, o, pl);
    if (st == SC_OK) pl->unpacked_w = w;
    else sc_free(w);
    return st;
}

/* Y_g = act(W_g * im2col(X_g) + bias) per group, through the descriptors (see plan_input /
 * plan_output for when x and y are used in place); depthwise layers (one input channel per
 * group) take the direct loops of conv_depthwise.c instead. Threads: OpenMP over (image,
 * pixel tile, output-channel block) items, each gemm single-threaded (blas_threads.c says
 * why), so any thread count gives bitwise the same result; scratch per thread is bounded by
 * the tile (SCRATCH_BYTES) and kept in the plan's slot from one run to the next. */
sc_status sc_dense_run(const sc_dense_plan *pl, const float *x, float *y)
{
    if (pl->onednn) return sc_dense_onednn_run(pl, x, y);
    int64_t items, per_thread, pack_floats = 0;
    if (pl->depthwise) {
        sc_dense_depthwise_layout(pl, &items, &per_thread);
    } else {
        items = pl->nb * pl->ntiles * pl->n_ocb;
        pack_floats = pl->direct_in ? 0 : pl->kdim * pl->tile;
        per_thread = pack_floats + (pl->direct_out ? 0 : pl->ocb * pl->tile);
    }
    int64_t nt = pl->threads > 0 ? pl->threads : omp_get_max_threads();
    if (nt > items) nt = items;
    float *scratch = NULL;
    int64_t bytes = 0;
    if (per_thread > 0 &&
        (sc_mul_ovf(nt, per_thread, &bytes) || sc_mul_ovf(bytes, (int64_t)sizeof(float), &bytes) ||
         !(scratch = sc_scratch_take(pl->scratch, (size_t)bytes))))
        return sc_fail(SC_ENOMEM, "dense conv: %lld threads x %lld floats of per-thread tile "
                       "buffers", (long long)nt, (long long)per_thread);
    if (pl->depthwise) {
        sc_dense_depthwise(pl, x, y, (int)nt, scratch);
        sc_scratch_give(pl->scratch, scratch);
        return SC_OK;
    }
    sc_dense_blas_single_thread();
    const int64_t tile = pl->tile, npix = pl->npix, ocg = pl->ocg, ocb = pl->ocb;
    const int64_t ntiles = pl->ntiles, n_ocb = pl->n_ocb;
    const bool reuse_pack = pl->p.groups == 1;
    #pragma omp parallel num_threads((int)nt)
    {
        float *mine = scratch ? scratch + omp_get_thread_num() * per_thread : NULL;
        float *packbuf = mine, *outbuf = mine ? mine + pack_floats : NULL;
        int64_t packed_tile = -1;  /* (image, tile) index whose panel packbuf holds */
        /* channel blocks innermost: a thread's consecutive items share their panel */
        #pragma omp for schedule(static)
        for (int64_t it = 0; it < items; ++it) {
            const int64_t nt_idx = it / n_ocb, o0 = (it % n_ocb) * ocb;
            const int64_t n = nt_idx / ntiles, p0 = (nt_idx % ntiles) * tile;
            const int64_t np = npix - p0 < tile ? npix - p0 : tile;
            const int64_t no = ocg - o0 < ocb ? ocg - o0 : ocb;
            run_item(pl, x, y, n, p0, np, o0, no, reuse_pack && packed_tile == nt_idx,
                     packbuf, outbuf);
            packed_tile = nt_idx;
        }
    }
    sc_scratch_give(pl->scratch, scratch);
    return SC_OK;
}

sc_status sc_conv_dense(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                        const float *bias, const sc_activation *act,
                        const sc_tensor *xd, const float *x,
                        const sc_tensor *yd, float *y, int threads)
{
    sc_status st = sc_dense_validate("dense conv", p, wd, w, bias, act, xd, x, yd, y);
    if (st != SC_OK) return st;
    const sc_dense_options o = {.bias = bias, .act = act ? *act : sc_activation_none(),
                                .threads = threads};
    sc_dense_plan pl;
    if ((st = sc_dense_plan_build(p, wd, w, xd, yd, &o, &pl)) != SC_OK) return st;
    st = sc_dense_run(&pl, x, y);
    sc_dense_plan_clear(&pl);
    return st;
}
