/* src/dense/onednn_impl.h: the oneDNN plan shared by its build (onednn.c) and its run (onednn_run.c) */
#ifndef SC_ONEDNN_IMPL_H
#define SC_ONEDNN_IMPL_H

#include <omp.h>

#include <oneapi/dnnl/dnnl.h>

#include "core/core.h"
#include "dense/dense_impl.h"

#if DNNL_VERSION_MAJOR != 2
#error "src/dense/onednn*.c are written for the oneDNN 2.x C API (Debian 12: libdnnl-dev 2.6)"
#endif

/* What a run needs: the primitive, the weights already in its format, the descriptors of
 * x, y and the bias, and the scratchpad size (ours: the primitive runs in user scratchpad
 * mode, because a primitive may be shared through oneDNN's primitive cache and, in library
 * mode, concurrent executions of one primitive share its scratchpad). When oneDNN has a
 * direct kernel only for its own blocked layout, src_md/dst_md are that layout and the
 * reorders copy x into it and the result out of it, through run buffers in the scratch
 * block: [scratchpad | src | dst], each part 64-byte aligned. */
struct sc_onednn_plan {
    dnnl_engine_t eng;
    dnnl_primitive_t conv;
    dnnl_primitive_t to_src, from_dst;  /* x -> src and dst -> y reorders, or NULL: in place */
    dnnl_memory_t wei;                 /* reordered weights, allocated by oneDNN */
    dnnl_memory_desc_t x_md, y_md;     /* the caller's x and y, by their strides */
    dnnl_memory_desc_t src_md, dst_md, bias_md;  /* the primitive's */
    dnnl_memory_desc_t scratch_md[3];  /* scratchpads of to_src, conv, from_dst */
    size_t pad_bytes, src_off, dst_off, scratch_bytes;  /* the run's scratch block */
    /* The 1x1 matmul path (onednn_matmul.c) when mm[0] is set, in place of conv: per image,
     * Y[o0 + i, p] = sum_c W[o0 + i, c] X[c, p] for blocks of mb output channels (the last
     * block may be shorter: mm[1]), each block a single-threaded matmul primitive. */
    dnnl_primitive_t mm[2];            /* mb rows, and the last block's rows when fewer */
    dnnl_memory_desc_t mw_md[2], mx_md, my_md[2], mm_scratch_md[2];
    float *w_rows;                     /* the weights as an oc x ic row-major matrix */
    int64_t mb, n_mb;                  /* output channels per block, blocks per image */
    size_t mm_pad_bytes;               /* one thread's scratchpad, a 64-byte multiple */
};

/* Plan the 1x1 matmul path into d (engine made) when the problem is a plain matrix product
 * on channel-first activations and oneDNN has its brgemm kernel for every block: impl gets
 * "matmul:<oneDNN's name>". SC_EUNSUPPORTED (d left without a matmul) otherwise, so the
 * caller plans the convolution; SC_ENOMEM when memory runs out. */
sc_status sc_dense_matmul_build(sc_onednn_plan *d, const sc_dense_plan *pl, const sc_wdesc *wd,
                                const float *w, char *impl, size_t cap);

/* y = act(conv(x) + bias) by the plan's matmul blocks (d->mm[0] set). */
sc_status sc_dense_matmul_run(const sc_dense_plan *pl, const float *x, float *y);

/* Free the matmul path's primitives and weights and clear its fields (none is fine). */
void sc_dense_matmul_clear(sc_onednn_plan *d);

/* Append a sum post-op (dst = result + dst) to attr: how an accumulating plan adds y's old
 * values in whichever primitive writes y last (onednn.c). */
sc_status sc_onednn_sum_post_op(dnnl_primitive_attr_t attr);

/* Cap oneDNN's dispatch at the SCONV_ISA level when that is below the CPU's and the user set
 * no ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA; once per process, before the first primitive
 * (onednn_isa.c). */
void sc_dense_onednn_cap_isa(void);

/* oneDNN's status as ours: out of memory stays that; anything else means oneDNN does not
 * take this problem, and the caller falls back to im2col. */
static inline sc_status from_dnnl(dnnl_status_t s, const char *what)
{
    if (s == dnnl_success) return SC_OK;
    if (s == dnnl_out_of_memory)
        return sc_fail(SC_ENOMEM, "dense conv: oneDNN %s: out of memory", what);
    return sc_fail(SC_EUNSUPPORTED, "dense conv: oneDNN %s failed (status %d)", what, (int)s);
}

/* The caller's OpenMP thread count for this thread, to restore after oneDNN ran with ours:
 * omp_set_num_threads changes only the calling thread's setting. threads 0 touches nothing. */
static inline int threads_enter(int threads)
{
    const int old = omp_get_max_threads();
    if (threads > 0) omp_set_num_threads(threads);
    return old;
}

static inline void threads_leave(int threads, int old)
{
    if (threads > 0) omp_set_num_threads(old);
}

#endif
