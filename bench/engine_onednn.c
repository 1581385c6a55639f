/* bench/engine_onednn.c: peer: oneDNN dense convolution (C API, 2.x and 3.x), src/dst in the point's plain layout */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#ifdef SCB_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>

/* src and dst are the caller's plain NCHW/NHWC buffers (no reorder in the timed run);
 * weights are reordered ONCE at setup from the pruned OIHW array into the format the
 * primitive prefers (format tag any); algorithm "auto" lets oneDNN pick its best. */
typedef struct dnnl_state {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_primitive_t conv;
    dnnl_memory_t src, wei, dst;
} dnnl_state;

void scb_onednn_version(char *buf, size_t cap)
{
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, cap, "%d.%d.%d (dnnl_version(); git %s; CPU runtime %s)", v->major, v->minor,
             v->patch, v->hash ? v->hash : "?",
             v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "not OpenMP");
}

static const char *dnnl_supports(const scb_point *pt)
{
    (void)pt;
    return NULL;
}

static void dnnl_teardown(void *state)
{
    dnnl_state *s = state;
    if (!s) return;
    if (s->conv) dnnl_primitive_destroy(s->conv);
    if (s->src) dnnl_memory_destroy(s->src);
    if (s->wei) dnnl_memory_destroy(s->wei);
    if (s->dst) dnnl_memory_destroy(s->dst);
    if (s->stream) dnnl_stream_destroy(s->stream);
    if (s->eng) dnnl_engine_destroy(s->eng);
    free(s);
}

#define CHECK(call)                                                                        \
    do {                                                                                   \
        dnnl_status_t st_ = (call);                                                        \
        if (st_ != dnnl_success) {                                                         \
            snprintf(msg, cap, "%s failed with status %d", #call, (int)st_);               \
            goto fail;                                                                     \
        }                                                                                  \
    } while (0)

#if DNNL_VERSION_MAJOR >= 3
typedef dnnl_memory_desc_t md_t;  /* a handle */
#define MD_ARG(md) (md)
#define MD_INIT(md, nd, dims, tag) dnnl_memory_desc_create_with_tag(&(md), nd, dims, dnnl_f32, tag)
#define MD_FREE(md) do { if (md) dnnl_memory_desc_destroy(md); } while (0)
#else
typedef dnnl_memory_desc_t md_t;  /* a struct */
#define MD_ARG(md) (&(md))
#define MD_INIT(md, nd, dims, tag) dnnl_memory_desc_init_by_tag(&(md), nd, dims, dnnl_f32, tag)
#define MD_FREE(md) ((void)0)
#endif

static int dnnl_setup(const scb_point *pt, float *y, void **state, scb_engine_info *info,
                      char *msg, size_t cap)
{
    const scb_shape *sh = pt->shape;
    dnnl_state *s = calloc(1, sizeof *s);
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t user_wei = NULL;
    md_t src_md, dst_md, wei_any, user_wei_md;
    memset(&src_md, 0, sizeof src_md);
    memset(&dst_md, 0, sizeof dst_md);
    memset(&wei_any, 0, sizeof wei_any);
    memset(&user_wei_md, 0, sizeof user_wei_md);
    int rc = -1;
    if (!s) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    const dnnl_format_tag_t act_tag = pt->layout == SCB_NCHW ? dnnl_nchw : dnnl_nhwc;
    const int64_t G = sh->groups;
    dnnl_dims_t src_dims = {pt->batch, sh->cin, sh->h, sh->w};
    dnnl_dims_t dst_dims = {pt->batch, sh->cout, pt->oh, pt->ow};
    dnnl_dims_t w4 = {sh->cout, sh->cin, sh->kh, sh->kw};
    dnnl_dims_t w5 = {G, sh->cout / G, sh->cin / G, sh->kh, sh->kw};
    dnnl_dims_t strides = {sh->stride, sh->stride}, dil = {sh->dil - 1, sh->dil - 1};
    dnnl_dims_t pad = {sh->pad, sh->pad};

    CHECK(dnnl_engine_create(&s->eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&s->stream, s->eng, dnnl_stream_default_flags));
    CHECK(MD_INIT(src_md, 4, src_dims, act_tag));
    CHECK(MD_INIT(dst_md, 4, dst_dims, act_tag));
    if (G == 1) {
        CHECK(MD_INIT(wei_any, 4, w4, dnnl_format_tag_any));
        CHECK(MD_INIT(user_wei_md, 4, w4, dnnl_oihw));
    } else {
        CHECK(MD_INIT(wei_any, 5, w5, dnnl_format_tag_any));
        CHECK(MD_INIT(user_wei_md, 5, w5, dnnl_goihw));  /* = OIHW memory with o over groups */
    }
#if DNNL_VERSION_MAJOR >= 3
    CHECK(dnnl_convolution_forward_primitive_desc_create(&pd, s->eng, dnnl_forward_inference,
          dnnl_convolution_auto, src_md, wei_any, NULL, dst_md, strides, dil, pad, pad, NULL));
#else
    dnnl_convolution_desc_t cd;
    CHECK(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference,
          dnnl_convolution_auto, &src_md, &wei_any, NULL, &dst_md, strides, dil, pad, pad));
    CHECK(dnnl_primitive_desc_create(&pd, &cd, NULL, s->eng, NULL));
#endif
    const char *impl = "?";
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    CHECK(dnnl_primitive_create(&s->conv, pd));

    /* weights: user OIHW -> the primitive's format, once */
#if DNNL_VERSION_MAJOR >= 3
    const_dnnl_memory_desc_t wei_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
#else
    const dnnl_memory_desc_t *wei_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
#endif
    CHECK(dnnl_memory_create(&user_wei, MD_ARG(user_wei_md), s->eng, (void *)pt->w));
    CHECK(dnnl_memory_create(&s->wei, wei_md, s->eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, MD_ARG(user_wei_md), s->eng, wei_md, s->eng,
                                             NULL));
    CHECK(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, user_wei}, {DNNL_ARG_TO, s->wei}};
    CHECK(dnnl_primitive_execute(reorder, s->stream, 2, rargs));
    CHECK(dnnl_stream_wait(s->stream));

    CHECK(dnnl_memory_create(&s->src, MD_ARG(src_md), s->eng, (void *)pt->x));
    CHECK(dnnl_memory_create(&s->dst, MD_ARG(dst_md), s->eng, y));
    info->nonzero_work = 0;
    snprintf(info->note, sizeof info->note, "%s", impl);
    *state = s;
    s = NULL;
    rc = 0;
fail:
    if (reorder) dnnl_primitive_destroy(reorder);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (user_wei) dnnl_memory_destroy(user_wei);
    MD_FREE(src_md);
    MD_FREE(dst_md);
    MD_FREE(wei_any);
    MD_FREE(user_wei_md);
    dnnl_teardown(s);
    return rc;
}

static int dnnl_run(void *state, char *msg, size_t cap)
{
    dnnl_state *s = state;
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, s->src}, {DNNL_ARG_WEIGHTS, s->wei},
                               {DNNL_ARG_DST, s->dst}};
    CHECK(dnnl_primitive_execute(s->conv, s->stream, 3, args));
    CHECK(dnnl_stream_wait(s->stream));
    return 0;
fail:
    return -1;
}

const scb_engine scb_engine_onednn = {"onednn", dnnl_supports, dnnl_setup, dnnl_run,
                                      dnnl_teardown};

#else /* !SCB_HAVE_ONEDNN */

void scb_onednn_version(char *buf, size_t cap)
{
    snprintf(buf, cap, "unavailable (sconv-bench built without oneDNN)");
}

static const char *dnnl_unavailable(const scb_point *pt)
{
    (void)pt;
    return "unavailable: built without oneDNN (apt-get install libdnnl-dev, reconfigure)";
}

const scb_engine scb_engine_onednn = {"onednn", dnnl_unavailable, NULL, NULL, NULL};

#endif
