/* src/dense/store.c: epilogue of the dense gemm: bias + activation, written through y's strides */
#include "dense/dense_impl.h"

/* dst[t*dstep] = act(src[t*sstep] + b) for t < len, or act(src + dst + b) with add; the
 * unit-stride case is vectorised (this pass runs over every output element, right after the
 * gemm wrote it). */
static void epi_run(const sc_epilogue *ep, const float *src, int64_t sstep, float b, float *dst,
                    int64_t dstep, int64_t len, bool add)
{
    if (add) {
        for (int64_t t = 0; t < len; ++t)
            dst[t * dstep] = sc_epilogue_f32(ep, src[t * sstep] + dst[t * dstep], b);
    } else if (sstep == 1 && dstep == 1) {
        #pragma omp simd
        for (int64_t t = 0; t < len; ++t) dst[t] = sc_epilogue_f32(ep, src[t], b);
    } else {
        for (int64_t t = 0; t < len; ++t) dst[t * dstep] = sc_epilogue_f32(ep, src[t * sstep], b);
    }
}

/* dst[o*dstep] = act(src[o*sstep] + bias[o]) for o < len (bias may be NULL: 0), or
 * act(src + dst + bias) with add. */
static void epi_channels(const sc_epilogue *ep, const float *src, int64_t sstep,
                         const float *bias, float *dst, int64_t dstep, int64_t len, bool add)
{
    if (add) {
        for (int64_t o = 0; o < len; ++o)
            dst[o * dstep] = sc_epilogue_f32(ep, src[o * sstep] + dst[o * dstep],
                                             bias ? bias[o] : 0.0f);
    } else if (sstep == 1 && dstep == 1 && bias) {
        #pragma omp simd
        for (int64_t o = 0; o < len; ++o) dst[o] = sc_epilogue_f32(ep, src[o], bias[o]);
    } else if (sstep == 1 && dstep == 1) {
        #pragma omp simd
        for (int64_t o = 0; o < len; ++o) dst[o] = sc_epilogue_f32(ep, src[o], 0.0f);
    } else {
        for (int64_t o = 0; o < len; ++o)
            dst[o * dstep] = sc_epilogue_f32(ep, src[o * sstep], bias ? bias[o] : 0.0f);
    }
}

/* y[n, g*ocg+o0+o, pixel p0+j] = act(src[o*s_o + j*s_p] + bias[g*ocg+o0+o]) for o < no
 * (plus y's old value with add) and a tile of np output pixels, walked one output-row
 * segment at a time. The loop over the unit-stride
 * side of src is innermost. Reads each src element once before writing the matching y
 * element, so src may be y itself (the in-place epilogue of a direct gemm). */
void sc_dense_store(const sc_dense_plan *pl, const float *src, int64_t s_o, int64_t s_p,
                    int64_t n, int64_t g, int64_t o0, int64_t no, int64_t p0, int64_t np,
                    bool add, float *y)
{
    const int64_t yc = pl->ys[SC_C], yh = pl->ys[SC_H], yw = pl->ys[SC_W];
    const int64_t oc0 = g * pl->ocg + o0;
    const sc_epilogue ep = pl->ep;
    float *yg = y + n * pl->ys[SC_N] + oc0 * yc;
    const float *bias = pl->bias ? pl->bias + oc0 : NULL;
    if (s_p == 1 && s_o != 1) {  /* channel rows of pixels */
        for (int64_t o = 0; o < no; ++o) {
            const float b = bias ? bias[o] : 0.0f;
            const float *so = src + o * s_o;
            int64_t j = 0, oh = p0 / pl->ow, ow0 = p0 % pl->ow;
            while (j < np) {
                const int64_t len = pl->ow - ow0 < np - j ? pl->ow - ow0 : np - j;
                epi_run(&ep, so + j, 1, b, yg + o * yc + oh * yh + ow0 * yw, yw, len, add);
                j += len;
                ++oh;
                ow0 = 0;
            }
        }
        return;
    }
    int64_t oh = p0 / pl->ow, ow = p0 % pl->ow;  /* pixel rows of channels */
    for (int64_t j = 0; j < np; ++j) {
        epi_channels(&ep, src + j * s_p, s_o, bias, yg + oh * yh + ow * yw, yc, no, add);
        if (++ow == pl->ow) {
            ow = 0;
            ++oh;
        }
    }
}
