/* src/dense/onednn_matmul.c: 1x1 layers on channel-first activations as oneDNN matmuls, without activation reorders */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "dense/onednn_impl.h"

/* Blocks of output channels: at least ITEMS_MIN (image, block) items where blocks keep
 * OCB_MIN channels, rows rounded to 16 (the brgemm row unroll); from the shape only, so
 * every thread count runs the same primitives on the same blocks. */
enum { ITEMS_MIN = 4, OCB_MIN = 32 };

/* Output pixels per image from which the matmul is taken: on smaller images the reorders of
 * the blocked convolution are small and it measured faster (docs/kernels.md, "Reorder
 * cost"); 196 (14x14) is the smallest image measured where the matmul won. */
enum { PIX_MIN = 196 };

/* Each channel's pixels one dense run of h*w (pixel stride 1, row stride w) and the channels
 * one after another (stride h*w): an image is then the dense c x h*w matrix oneDNN's brgemm
 * matmul takes (it declines any other leading dimension, so channel slices and padded
 * planes stay on the convolution path). */
static bool channel_planes(int64_t c, int64_t h, int64_t w, const int64_t s[4])
{
    return (w == 1 || s[SC_W] == 1) && (h == 1 || s[SC_H] == w) && (c == 1 || s[SC_C] == h * w);
}

/* Y = W X per image: one group, a 1x1 kernel, stride 1, no padding, channel planes on both
 * sides (x: ic x ih x iw with strides xs, y: oc x oh x ow with ys), at least PIX_MIN pixels
 * per image. */
static bool product_shape(const sc_conv_params *p, int64_t kh, int64_t kw, int64_t ic,
                          int64_t ih, int64_t iw, const int64_t xs[4], int64_t oc, int64_t oh,
                          int64_t ow, const int64_t ys[4])
{
    return p->groups == 1 && kh == 1 && kw == 1 && p->stride_h == 1 && p->stride_w == 1 &&
           p->pad_top == 0 && p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0 &&
           oh * ow >= PIX_MIN && channel_planes(ic, ih, iw, xs) && channel_planes(oc, oh, ow, ys);
}

static bool matmul_applies(const sc_dense_plan *pl)
{
    return product_shape(&pl->p, pl->kh, pl->kw, pl->ic, pl->ih, pl->iw, pl->xs, pl->oc, pl->oh,
                         pl->ow, pl->ys);
}

bool sc_dense_matmul_expected(const sc_conv_params *p, const sc_wdesc *wd, const sc_tensor *x,
                              const sc_tensor *y)
{
    const int64_t *xd = x->dims, *yd = y->dims;
    /* oneDNN 2.6 has brgemm matmul kernels for AVX-512 only (gemm:jit elsewhere, declined) */
    return sc_cpu_has_avx512() &&
           product_shape(p, wd->kh, wd->kw, xd[SC_C], xd[SC_H], xd[SC_W], x->strides, yd[SC_C],
                         yd[SC_H], yd[SC_W], y->strides);
}

static void plan_blocks(const sc_dense_plan *pl, int64_t *mb, int64_t *n_mb)
{
    int64_t nblk = pl->nb >= ITEMS_MIN ? 1 : (ITEMS_MIN + pl->nb - 1) / pl->nb;
    while (nblk > 1 && pl->oc / nblk < OCB_MIN) --nblk;
    int64_t rows = (pl->oc + nblk - 1) / nblk;
    if (nblk > 1) rows = (rows + 15) / 16 * 16;
    *mb = rows < pl->oc ? rows : pl->oc;
    *n_mb = (pl->oc + *mb - 1) / *mb;
}

void sc_dense_matmul_clear(sc_onednn_plan *d)
{
    for (int i = 0; i < 2; ++i)
        if (d->mm[i]) dnnl_primitive_destroy(d->mm[i]);
    sc_free(d->w_rows);
    d->mm[0] = d->mm[1] = NULL;
    d->w_rows = NULL;
}

/* The primitive for `rows` output channels: src the weight rows, weights the image's
 * channel planes, dst the output rows, all dense row-major; its name in *name. Created on
 * one thread (the caller set it), so oneDNN never splits the reduction across threads. */
static sc_status block_primitive(sc_onednn_plan *d, const sc_dense_plan *pl, int64_t rows,
                                 int i, const char **name)
{
    const dnnl_dims_t wdims = {rows, pl->ic}, ydims = {rows, pl->npix};
    const dnnl_dims_t xdims = {pl->ic, pl->npix};
    dnnl_matmul_desc_t md;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    sc_status st = from_dnnl(dnnl_memory_desc_init_by_tag(&d->mw_md[i], 2, wdims, dnnl_f32,
                                                          dnnl_ab), "weights descriptor");
    if (st == SC_OK)
        st = from_dnnl(dnnl_memory_desc_init_by_tag(&d->mx_md, 2, xdims, dnnl_f32, dnnl_ab),
                       "input descriptor");
    if (st == SC_OK)
        st = from_dnnl(dnnl_memory_desc_init_by_tag(&d->my_md[i], 2, ydims, dnnl_f32, dnnl_ab),
                       "output descriptor");
    if (st == SC_OK)
        st = from_dnnl(dnnl_matmul_desc_init(&md, &d->mw_md[i], &d->mx_md, NULL, &d->my_md[i]),
                       "matmul descriptor");
    if (st == SC_OK) st = from_dnnl(dnnl_primitive_attr_create(&attr), "attributes");
    if (st == SC_OK)
        st = from_dnnl(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user),
                       "scratchpad mode");
    if (st == SC_OK && pl->accumulate) st = sc_onednn_sum_post_op(attr);
    if (st == SC_OK) st = from_dnnl(dnnl_primitive_desc_create(&pd, &md, attr, d->eng, NULL),
                                    "matmul");
    if (st == SC_OK)
        st = from_dnnl(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, name),
                       "implementation name");
    /* only the brgemm kernels: gemm:jit may split the reduction inside its sgemm, and the
     * reference loops are slower than the convolution path */
    if (st == SC_OK && (!*name || strncmp(*name, "brg", 3) != 0))
        st = sc_fail(SC_EUNSUPPORTED, "dense conv: oneDNN's matmul is %s here, not brgemm",
                     *name ? *name : "unnamed");
    if (st == SC_OK) {
        d->mm_scratch_md[i] = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        st = from_dnnl(dnnl_primitive_create(&d->mm[i], pd), "matmul primitive");
    }
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

sc_status sc_dense_matmul_build(sc_onednn_plan *d, const sc_dense_plan *pl, const sc_wdesc *wd,
                                const float *w, char *impl, size_t cap)
{
    if (!matmul_applies(pl))
        return sc_fail(SC_EUNSUPPORTED, "dense conv: not a 1x1 product on channel planes");
    plan_blocks(pl, &d->mb, &d->n_mb);
    sc_status st = sc_alloc_array((void **)&d->w_rows, (size_t)pl->oc,
                                  (size_t)pl->ic * sizeof(float), false,
                                  "dense conv: matmul weights");
    if (st != SC_OK) return st;
    int64_t s[4];
    sc_wdesc_strides(wd, s);
    for (int64_t o = 0; o < pl->oc; ++o)
        for (int64_t c = 0; c < pl->ic; ++c) d->w_rows[o * pl->ic + c] = w[o * s[0] + c * s[1]];
    const int64_t tail = pl->oc - (d->n_mb - 1) * d->mb;
    const char *name = NULL, *tail_name = NULL;
    const int old = threads_enter(1);
    st = block_primitive(d, pl, d->mb, 0, &name);
    if (st == SC_OK && tail != d->mb) st = block_primitive(d, pl, tail, 1, &tail_name);
    threads_leave(1, old);
    if (st != SC_OK) {
        sc_dense_matmul_clear(d);
        return st;
    }
    size_t pad = dnnl_memory_desc_get_size(&d->mm_scratch_md[0]);
    if (d->mm[1] && dnnl_memory_desc_get_size(&d->mm_scratch_md[1]) > pad)
        pad = dnnl_memory_desc_get_size(&d->mm_scratch_md[1]);
    d->mm_pad_bytes = (pad + 63) / 64 * 64;
    snprintf(impl, cap, "matmul:%s", name);
    return SC_OK;
}

/* Block b of image n: the matmul into y's rows (added to them by the sum post-op in an
 * accumulating plan), then bias and activation on them while they are in cache (the
 * library's rule, sc_dense_store in place). */
static dnnl_status_t run_block(const sc_dense_plan *pl, dnnl_stream_t stream, void *pad,
                               const float *x, float *y, int64_t n, int64_t b)
{
    const sc_onednn_plan *d = pl->onednn;
    const int64_t o0 = b * d->mb, no = pl->oc - o0 < d->mb ? pl->oc - o0 : d->mb;
    const int i = no == d->mb ? 0 : 1;
    float *yb = y + n * pl->ys[SC_N] + o0 * pl->ys[SC_C];
    enum { W, X, Y, PAD, NMEM };
    dnnl_memory_t mem[NMEM] = {NULL};
    dnnl_status_t s = dnnl_memory_create(&mem[W], &d->mw_md[i], d->eng, d->w_rows + o0 * pl->ic);
    if (s == dnnl_success)
        s = dnnl_memory_create(&mem[X], &d->mx_md, d->eng, (void *)(x + n * pl->xs[SC_N]));
    if (s == dnnl_success) s = dnnl_memory_create(&mem[Y], &d->my_md[i], d->eng, yb);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, mem[W]}, {DNNL_ARG_WEIGHTS, mem[X]},
                               {DNNL_ARG_DST, mem[Y]}};
    int nargs = 3;
    if (s == dnnl_success && dnnl_memory_desc_get_size(&d->mm_scratch_md[i])) {
        s = dnnl_memory_create(&mem[PAD], &d->mm_scratch_md[i], d->eng, pad);
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, mem[PAD]};
    }
    if (s == dnnl_success) s = dnnl_primitive_execute(d->mm[i], stream, nargs, args);
    if (s == dnnl_success) s = dnnl_stream_wait(stream);
    for (int k = 0; k < NMEM; ++k)
        if (mem[k]) dnnl_memory_destroy(mem[k]);
    if (s == dnnl_success && pl->needs_epilogue)
        sc_dense_store(pl, yb, pl->npix, 1, n, 0, o0, no, 0, pl->npix, false, y);
    return s;
}

/* Items (image, channel block) on our OpenMP threads, each block's primitive single-threaded
 * inside the parallel region: an element's sum is computed by one primitive of the plan
 * whatever the thread count, so every thread count gives the same bits. */
sc_status sc_dense_matmul_run(const sc_dense_plan *pl, const float *x, float *y)
{
    const sc_onednn_plan *d = pl->onednn;
    const int64_t items = pl->nb * d->n_mb, n_mb = d->n_mb;
    int64_t nt = pl->threads > 0 ? pl->threads : omp_get_max_threads();
    if (nt > items) nt = items;
    const size_t bytes = (size_t)nt * d->mm_pad_bytes;
    char *block = NULL;
    if (bytes && !(block = sc_scratch_take(pl->scratch, bytes)))
        return sc_fail(SC_ENOMEM, "dense conv: %zu bytes of oneDNN matmul scratchpads", bytes);
    dnnl_status_t err = dnnl_success;
    #pragma omp parallel num_threads((int)nt)
    {
        void *pad = block ? block + (size_t)omp_get_thread_num() * d->mm_pad_bytes : NULL;
        dnnl_stream_t stream = NULL;
        dnnl_status_t s = dnnl_stream_create(&stream, d->eng, dnnl_stream_default_flags);
        #pragma omp for schedule(static)
        for (int64_t it = 0; it < items; ++it)
            if (s == dnnl_success) s = run_block(pl, stream, pad, x, y, it / n_mb, it % n_mb);
        if (stream) dnnl_stream_destroy(stream);
        if (s != dnnl_success) {
            #pragma omp critical  /* unnamed: a named one would export a symbol */
            if (err == dnnl_success) err = s;
        }
    }
    sc_scratch_give(pl->scratch, block);
    return from_dnnl(err, "matmul");
}
