/* src/dense/onednn_run.c: the dense engine's oneDNN path at run time: reorder in, convolve, reorder out, clamp */
#include "core/core.h"
#include "dense/onednn_impl.h"

/* Run prim on stream with args plus a scratchpad at pad (its descriptor scratch_md) when it
 * needs one; the scratchpad's memory object goes to *scratch for the caller to destroy
 * after the stream is done. */
static sc_status execute(const sc_onednn_plan *d, dnnl_primitive_t prim, dnnl_stream_t stream,
                         int nargs, dnnl_exec_arg_t *args, const dnnl_memory_desc_t *scratch_md,
                         void *pad, dnnl_memory_t *scratch, const char *what)
{
    sc_status st = SC_OK;
    if (dnnl_memory_desc_get_size(scratch_md)) {
        st = from_dnnl(dnnl_memory_create(scratch, scratch_md, d->eng, pad), "scratchpad memory");
        if (st == SC_OK) args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, *scratch};
    }
    if (st == SC_OK) st = from_dnnl(dnnl_primitive_execute(prim, stream, nargs, args), what);
    return st;
}

/* y = conv(x) + bias by the primitive, with x reordered into its src layout before and its
 * dst reordered into y after where the plan has those reorders: memory objects and stream
 * made per run (a run changes nothing in the plan), scratchpad and blocked buffers from the
 * plan's slot; then the activation through y's descriptor. */
sc_status sc_dense_onednn_run(const sc_dense_plan *pl, const float *x, float *y)
{
    const sc_onednn_plan *d = pl->onednn;
    if (d->mm[0]) return sc_dense_matmul_run(pl, x, y);
    char *block = NULL;
    if (d->scratch_bytes && !(block = sc_scratch_take(pl->scratch, d->scratch_bytes)))
        return sc_fail(SC_ENOMEM, "dense conv: %zu bytes of oneDNN scratchpad and blocked "
                       "activations", d->scratch_bytes);
    enum { X, Y, SRC, DST, BIAS, PAD0, PAD1, PAD2, NMEM };
    dnnl_memory_t mem[NMEM] = {NULL};
    dnnl_stream_t stream = NULL;
    const int old = threads_enter(pl->threads);
    void *src = d->to_src ? block + d->src_off : (void *)x;
    void *dst = d->from_dst ? block + d->dst_off : (void *)y;
    sc_status st = from_dnnl(dnnl_memory_create(&mem[SRC], &d->src_md, d->eng, src),
                             "input memory");
    if (st == SC_OK)
        st = from_dnnl(dnnl_memory_create(&mem[DST], &d->dst_md, d->eng, dst), "output memory");
    if (st == SC_OK && d->to_src)
        st = from_dnnl(dnnl_memory_create(&mem[X], &d->x_md, d->eng, (void *)x), "input memory");
    if (st == SC_OK && d->from_dst)
        st = from_dnnl(dnnl_memory_create(&mem[Y], &d->y_md, d->eng, y), "output memory");
    if (st == SC_OK && pl->bias)
        st = from_dnnl(dnnl_memory_create(&mem[BIAS], &d->bias_md, d->eng, (void *)pl->bias),
                       "bias memory");
    if (st == SC_OK)
        st = from_dnnl(dnnl_stream_create(&stream, d->eng, dnnl_stream_default_flags), "stream");
    if (st == SC_OK && d->to_src) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, mem[X]}, {DNNL_ARG_TO, mem[SRC]}};
        st = execute(d, d->to_src, stream, 2, args, &d->scratch_md[0], block, &mem[PAD0],
                     "input reorder");
    }
    if (st == SC_OK) {
        dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, mem[SRC]}, {DNNL_ARG_WEIGHTS, d->wei},
                                   {DNNL_ARG_DST, mem[DST]}};
        int nargs = 3;
        if (mem[BIAS]) args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, mem[BIAS]};
        st = execute(d, d->conv, stream, nargs, args, &d->scratch_md[1], block, &mem[PAD1],
                     "convolution");
    }
    if (st == SC_OK && d->from_dst) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, mem[DST]}, {DNNL_ARG_TO, mem[Y]}};
        st = execute(d, d->from_dst, stream, 2, args, &d->scratch_md[2], block, &mem[PAD2],
                     "output reorder");
    }
    if (stream) {  /* wait even after a failed step: an earlier one may still be running */
        const sc_status ws = from_dnnl(dnnl_stream_wait(stream), "convolution");
        if (st == SC_OK) st = ws;
        dnnl_stream_destroy(stream);
    }
    threads_leave(pl->threads, old);
    for (int i = 0; i < NMEM; ++i)
        if (mem[i]) dnnl_memory_destroy(mem[i]);
    sc_scratch_give(pl->scratch, block);
    if (st == SC_OK && !sc_epilogue_is_identity(&pl->ep)) sc_dense_clamp(pl, y);
    return st;
}
