/* src/dense/onednn.c: the dense engine's oneDNN path: the primitives and weights made at plan time */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "dense/onednn_impl.h"

/* Memory descriptors of x and y with their strides; false for a view oneDNN should not be
 * given: a zero stride on a dimension of more than one element (elements repeat). */
static bool act_md(dnnl_memory_desc_t *md, const int64_t dims[4], const int64_t strides[4])
{
    for (int d = 0; d < 4; ++d)
        if (dims[d] > 1 && strides[d] < 1) return false;
    dnnl_dims_t dd = {dims[0], dims[1], dims[2], dims[3]};
    dnnl_dims_t ss = {strides[0], strides[1], strides[2], strides[3]};
    return dnnl_memory_desc_init_by_strides(md, 4, dd, dnnl_f32, ss) == dnnl_success;
}

/* The weights as they are in wd's layout: (oc, icg, kh, kw), or (g, ocg, icg, kh, kw) with
 * groups, strides from sc_wdesc_strides (output channel g*ocg + o). */
static dnnl_status_t weights_md(dnnl_memory_desc_t *md, const sc_wdesc *wd, int64_t groups,
                                bool any)
{
    int64_t s[4];
    sc_wdesc_strides(wd, s);
    const int64_t ocg = wd->oc / groups;
    if (groups == 1) {
        dnnl_dims_t dd = {wd->oc, wd->icg, wd->kh, wd->kw}, ss = {s[0], s[1], s[2], s[3]};
        return any ? dnnl_memory_desc_init_by_tag(md, 4, dd, dnnl_f32, dnnl_format_tag_any)
                   : dnnl_memory_desc_init_by_strides(md, 4, dd, dnnl_f32, ss);
    }
    dnnl_dims_t dd = {groups, ocg, wd->icg, wd->kh, wd->kw};
    dnnl_dims_t ss = {ocg * s[0], s[0], s[1], s[2], s[3]};
    return any ? dnnl_memory_desc_init_by_tag(md, 5, dd, dnnl_f32, dnnl_format_tag_any)
               : dnnl_memory_desc_init_by_strides(md, 5, dd, dnnl_f32, ss);
}

/* Run a one-off primitive (the weight reorder) on a stream of its own, with a scratchpad of
 * ours when it asks for one. */
static sc_status execute_once(dnnl_engine_t eng, dnnl_primitive_t prim,
                              const dnnl_memory_desc_t *scratch_md, int nargs,
                              dnnl_exec_arg_t *args)
{
    const size_t bytes = dnnl_memory_desc_get_size(scratch_md);
    dnnl_stream_t stream = NULL;
    dnnl_memory_t scratch = NULL;
    void *buf = bytes ? sc_aligned_alloc(64, bytes) : NULL;
    sc_status st = bytes && !buf ? sc_fail(SC_ENOMEM, "dense conv: %zu bytes of oneDNN "
                                           "reorder scratchpad", bytes) : SC_OK;
    if (st == SC_OK && bytes)
        st = from_dnnl(dnnl_memory_create(&scratch, scratch_md, eng, buf), "scratchpad memory");
    if (st == SC_OK && scratch) args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, scratch};
    if (st == SC_OK)
        st = from_dnnl(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags), "stream");
    if (st == SC_OK) st = from_dnnl(dnnl_primitive_execute(prim, stream, nargs, args), "reorder");
    if (st == SC_OK) st = from_dnnl(dnnl_stream_wait(stream), "reorder");
    if (stream) dnnl_stream_destroy(stream);
    if (scratch) dnnl_memory_destroy(scratch);
    sc_free(buf);
    return st;
}

/* The primitive's weights from w: reorder from wd's layout into the format it chose. */
static sc_status reorder_weights(sc_onednn_plan *d, dnnl_primitive_desc_t pd,
                                 const sc_wdesc *wd, const float *w, int64_t groups)
{
    const dnnl_memory_desc_t *to = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_desc_t from;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t user = NULL;
    sc_status st = from_dnnl(weights_md(&from, wd, groups, false), "weights descriptor");
    if (st == SC_OK) st = from_dnnl(dnnl_primitive_attr_create(&attr), "attributes");
    if (st == SC_OK)
        st = from_dnnl(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user),
                       "scratchpad mode");
    if (st == SC_OK)
        st = from_dnnl(dnnl_reorder_primitive_desc_create(&rpd, &from, d->eng, to, d->eng, attr),
                       "weight reorder");
    if (st == SC_OK) st = from_dnnl(dnnl_primitive_create(&reorder, rpd), "weight reorder");
    if (st == SC_OK)
        st = from_dnnl(dnnl_memory_create(&user, &from, d->eng, (void *)w), "weights memory");
    if (st == SC_OK)
        st = from_dnnl(dnnl_memory_create(&d->wei, to, d->eng, DNNL_MEMORY_ALLOCATE),
                       "weights memory");
    if (st == SC_OK) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, d->wei}};
        st = execute_once(d->eng, reorder,
                          dnnl_primitive_desc_query_md(rpd, dnnl_query_scratchpad_md, 0), 2, args);
    }
    if (user) dnnl_memory_destroy(user);
    if (reorder) dnnl_primitive_destroy(reorder);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

void sc_dense_onednn_destroy(sc_onednn_plan *d)
{
    if (!d) return;
    if (d->conv) dnnl_primitive_destroy(d->conv);
    if (d->to_src) dnnl_primitive_destroy(d->to_src);
    if (d->from_dst) dnnl_primitive_destroy(d->from_dst);
    if (d->wei) dnnl_memory_destroy(d->wei);
    sc_dense_matmul_clear(d);
    if (d->eng) dnnl_engine_destroy(d->eng);
    sc_free(d);
}

/* Attributes for every primitive of the plan: user scratchpad mode, and with sum the sum
 * post-op (the primitive that writes y last in an accumulating plan). */
static sc_status user_scratchpad(dnnl_primitive_attr_t *attr, bool sum)
{
    sc_status st = from_dnnl(dnnl_primitive_attr_create(attr), "attributes");
    if (st == SC_OK)
        st = from_dnnl(dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user),
                       "scratchpad mode");
    if (st == SC_OK && sum) st = sc_onednn_sum_post_op(*attr);
    return st;
}

sc_status sc_onednn_sum_post_op(dnnl_primitive_attr_t attr)
{
    dnnl_post_ops_t po = NULL;
    sc_status st = from_dnnl(dnnl_post_ops_create(&po), "post-ops");
    if (st == SC_OK) st = from_dnnl(dnnl_post_ops_append_sum(po, 1.0f), "sum post-op");
    if (st == SC_OK) st = from_dnnl(dnnl_primitive_attr_set_post_ops(attr, po), "sum post-op");
    if (po) dnnl_post_ops_destroy(po);
    return st;
}

/* The primitive descriptor for the plan's problem with activations src and dst (the
 * caller's strides, or format_tag any), or SC_EUNSUPPORTED. Direct algorithm, never auto:
 * auto may pick Winograd, whose error exceeds a direct sum's bound. The activation is not a
 * post-op: oneDNN's clip and ReLU map NaN to the lower bound (or -inf to NaN), against the
 * library's one rule (core/epilogue.h); sc_dense_clamp applies it. With sum the primitive
 * adds dst's old values (dst = conv + bias + dst). */
static sc_status primitive_desc(sc_onednn_plan *d, const sc_dense_plan *pl, const sc_wdesc *wd,
                                const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst,
                                bool sum, dnnl_primitive_desc_t *pd)
{
    const sc_conv_params *p = &pl->p;
    dnnl_memory_desc_t wei_any;
    dnnl_convolution_desc_t cd;
    dnnl_primitive_attr_t attr = NULL;
    const dnnl_dims_t bdims = {pl->oc};
    const dnnl_dims_t strides = {p->stride_h, p->stride_w};
    const dnnl_dims_t dil = {p->dil_h - 1, p->dil_w - 1};  /* oneDNN counts dilation from 0 */
    const dnnl_dims_t pad_l = {p->pad_top, p->pad_left}, pad_r = {p->pad_bottom, p->pad_right};
    sc_status st = from_dnnl(weights_md(&wei_any, wd, p->groups, true), "weights descriptor");
    if (st == SC_OK)
        st = from_dnnl(dnnl_memory_desc_init_by_tag(&d->bias_md, 1, bdims, dnnl_f32, dnnl_a),
                       "bias descriptor");
    if (st == SC_OK)
        st = from_dnnl(dnnl_dilated_convolution_forward_desc_init(
                           &cd, dnnl_forward_inference, dnnl_convolution_direct, src, &wei_any,
                           pl->bias ? &d->bias_md : NULL, dst, strides, dil, pad_l, pad_r),
                       "convolution descriptor");
    if (st == SC_OK) st = user_scratchpad(&attr, sum);
    if (st == SC_OK) st = from_dnnl(dnnl_primitive_desc_create(pd, &cd, attr, d->eng, NULL),
                                    "convolution");
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

/* A primitive descriptor with a direct implementation (its name in *name), or
 * SC_EUNSUPPORTED. Only its direct kernels: its reference loops are slower than im2col +
 * sgemm, and its own im2col + sgemm ("gemm:jit") lets the sgemm split the reduction across
 * threads when the output is small, so 1 and 2 threads round differently (an NCHW 3-group
 * 2x5 layer with 2 output pixels per image did); ours is as fast and does not. */
static sc_status direct_desc(sc_onednn_plan *d, const sc_dense_plan *pl, const sc_wdesc *wd,
                             const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst,
                             bool sum, dnnl_primitive_desc_t *pd, const char **name)
{
    *name = NULL;
    sc_status st = primitive_desc(d, pl, wd, src, dst, sum, pd);
    if (st == SC_OK)
        st = from_dnnl(dnnl_primitive_desc_query(*pd, dnnl_query_impl_info_str, 0, name),
                       "implementation name");
    if (st == SC_OK && (!*name || strstr(*name, "ref") || strstr(*name, "gemm:")))
        st = sc_fail(SC_EUNSUPPORTED, "dense conv: oneDNN has only its reference or gemm "
                     "implementation (%s) for this problem", *name ? *name : "unnamed");
    if (st != SC_OK && *pd) {
        dnnl_primitive_desc_destroy(*pd);
        *pd = NULL;
    }
    return st;
}

/* A reorder from one activation descriptor to another, or NULL when they are the same
 * layout (the primitive then reads x or writes y in place); its scratchpad in *scratch_md.
 * With sum it adds into `to` (to = from + to), and is made even between equal layouts. */
static sc_status act_reorder(const sc_onednn_plan *d, const dnnl_memory_desc_t *from,
                             const dnnl_memory_desc_t *to, bool sum, dnnl_primitive_t *out,
                             dnnl_memory_desc_t *scratch_md)
{
    *out = NULL;
    memset(scratch_md, 0, sizeof *scratch_md);
    if (!sum && dnnl_memory_desc_equal(from, to)) return SC_OK;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    sc_status st = user_scratchpad(&attr, sum);
    if (st == SC_OK)
        st = from_dnnl(dnnl_reorder_primitive_desc_create(&rpd, from, d->eng, to, d->eng, attr),
                       "activation reorder");
    if (st == SC_OK) {
        *scratch_md = *dnnl_primitive_desc_query_md(rpd, dnnl_query_scratchpad_md, 0);
        st = from_dnnl(dnnl_primitive_create(out, rpd), "activation reorder");
    }
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

static size_t round64(size_t n)
{
    return (n + 63) / 64 * 64;
}

/* The run's scratch block: one scratchpad for the three steps (they run one after the
 * other on one stream), then the blocked src and dst where a reorder needs them. */
static void block_layout(sc_onednn_plan *d)
{
    size_t pad = 0;
    for (int i = 0; i < 3; ++i) {
        const size_t b = dnnl_memory_desc_get_size(&d->scratch_md[i]);
        pad = b > pad ? b : pad;
    }
    d->pad_bytes = round64(pad);
    d->src_off = d->pad_bytes;
    d->dst_off = d->src_off + (d->to_src ? round64(dnnl_memory_desc_get_size(&d->src_md)) : 0);
    d->scratch_bytes = d->dst_off + (d->from_dst ? dnnl_memory_desc_get_size(&d->dst_md) : 0);
}

/* The primitive for the caller's strides when oneDNN has a direct kernel for them, else
 * one on oneDNN's preferred (blocked) activation layout wrapped in reorders: elementwise
 * copies, so the thread count still changes no bit. An accumulating plan adds y's old
 * values in the primitive that writes y: the convolution on the caller's strides, else the
 * output reorder (made even when the blocked dst is y's layout). */
static sc_status make_primitives(sc_onednn_plan *d, const sc_dense_plan *pl, const sc_wdesc *wd,
                                 dnnl_primitive_desc_t *pd, char *impl, size_t cap)
{
    const char *name = NULL;
    const bool acc = pl->accumulate;
    sc_status st = direct_desc(d, pl, wd, &d->x_md, &d->y_md, acc, pd, &name);
    bool blocked = false;
    if (st == SC_EUNSUPPORTED) {
        const dnnl_dims_t xdims = {pl->nb, pl->ic, pl->ih, pl->iw};
        const dnnl_dims_t ydims = {pl->nb, pl->oc, pl->oh, pl->ow};
        dnnl_memory_desc_t src_any, dst_any;
        st = from_dnnl(dnnl_memory_desc_init_by_tag(&src_any, 4, xdims, dnnl_f32,
                                                    dnnl_format_tag_any), "input descriptor");
        if (st == SC_OK)
            st = from_dnnl(dnnl_memory_desc_init_by_tag(&dst_any, 4, ydims, dnnl_f32,
                                                        dnnl_format_tag_any), "output descriptor");
        if (st == SC_OK) st = direct_desc(d, pl, wd, &src_any, &dst_any, false, pd, &name);
        blocked = true;
    }
    if (st != SC_OK) return st;
    d->src_md = *dnnl_primitive_desc_query_md(*pd, dnnl_query_src_md, 0);
    d->dst_md = *dnnl_primitive_desc_query_md(*pd, dnnl_query_dst_md, 0);
    d->scratch_md[1] = *dnnl_primitive_desc_query_md(*pd, dnnl_query_scratchpad_md, 0);
    st = from_dnnl(dnnl_primitive_create(&d->conv, *pd), "convolution primitive");
    if (st == SC_OK && blocked)
        st = act_reorder(d, &d->x_md, &d->src_md, false, &d->to_src, &d->scratch_md[0]);
    if (st == SC_OK && blocked)
        st = act_reorder(d, &d->dst_md, &d->y_md, acc, &d->from_dst, &d->scratch_md[2]);
    if (st != SC_OK) return st;
    block_layout(d);
    snprintf(impl, cap, "%s%s", name, d->to_src || d->from_dst ? "+reorder" : "");
    return SC_OK;
}

sc_status sc_dense_onednn_build(const sc_dense_plan *pl, const sc_wdesc *wd, const float *w,
                                sc_onednn_plan **out, char *impl, size_t cap)
{
    *out = NULL;
    const int64_t xdims[4] = {pl->nb, pl->ic, pl->ih, pl->iw};
    const int64_t ydims[4] = {pl->nb, pl->oc, pl->oh, pl->ow};
    sc_onednn_plan *d = NULL;
    dnnl_primitive_desc_t pd = NULL;
    sc_status st = sc_alloc_array((void **)&d, 1, sizeof *d, true, "dense conv: oneDNN plan");
    if (st != SC_OK) return st;
    if (!act_md(&d->x_md, xdims, pl->xs) || !act_md(&d->y_md, ydims, pl->ys)) {
        sc_free(d);
        return sc_fail(SC_EUNSUPPORTED, "dense conv: oneDNN takes no view with a zero stride");
    }
    sc_dense_onednn_cap_isa();
    const int old = threads_enter(pl->threads);  /* the primitive's partition follows it */
    st = from_dnnl(dnnl_engine_create(&d->eng, dnnl_cpu, 0), "CPU engine");
    if (st == SC_OK) {  /* a 1x1 product on channel planes as a matmul, else the conv */
        st = sc_dense_matmul_build(d, pl, wd, w, impl, cap);
        if (st == SC_EUNSUPPORTED) st = make_primitives(d, pl, wd, &pd, impl, cap);
        if (st == SC_OK && !d->mm[0]) st = reorder_weights(d, pd, wd, w, pl->p.groups);
    }
    threads_leave(pl->threads, old);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (st == SC_OK) {
        *out = d;
        d = NULL;
    }
    sc_dense_onednn_destroy(d);
    return st;
}

