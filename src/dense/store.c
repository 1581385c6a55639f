/* src/dense/store.c: epilogue of the dense gemm: bias + activation, written through y's strides */
#include "dense/dense_impl.h"

/* y[n, g*ocg+o, pixel p0+j] = act(src[o*s_o + j*s_p] + bias[g*ocg+o]) for a tile of np
 * output pixels, walked one output-row segment at a time. The loop over the unit-stride
 * side of src is innermost. Reads each src element once before writing the matching y
 * element, so src may be y itself (the in-place epilogue of a direct gemm). */
void sc_dense_store(const sc_dense_plan *pl, const float *src, int64_t s_o, int64_t s_p,
                    int64_t n, int64_t g, int64_t p0, int64_t np, float *y)
{
    const int64_t yc = pl->ys[SC_C], yh = pl->ys[SC_H], yw = pl->ys[SC_W];
    const int64_t ocg = pl->ocg, oc0 = g * ocg;
    const sc_epilogue ep = pl->ep;
    float *yg = y + n * pl->ys[SC_N] + oc0 * yc;
    const float *bias = pl->bias ? pl->bias + oc0 : NULL;
    if (s_p == 1 && s_o != 1) {  /* channel rows of pixels */
        for (int64_t o = 0; o < ocg; ++o) {
            const float b = bias ? bias[o] : 0.0f;
            const float *so = src + o * s_o;
            int64_t j = 0, oh = p0 / pl->ow, ow0 = p0 % pl->ow;
            while (j < np) {
                const int64_t len = pl->ow - ow0 < np - j ? pl->ow - ow0 : np - j;
                float *row = yg + o * yc + oh * yh + ow0 * yw;
                for (int64_t t = 0; t < len; ++t) row[t * yw] = sc_epilogue_f32(&ep, so[j + t], b);
                j += len;
                ++oh;
                ow0 = 0;
            }
        }
        return;
    }
    int64_t oh = p0 / pl->ow, ow = p0 % pl->ow;  /* pixel rows of channels */
    for (int64_t j = 0; j < np; ++j) {
        float *yp = yg + oh * yh + ow * yw;
        const float *sp = src + j * s_p;
        for (int64_t o = 0; o < ocg; ++o)
            yp[o * yc] = sc_epilogue_f32(&ep, sp[o * s_o], bias ? bias[o] : 0.0f);
        if (++ow == pl->ow) {
            ow = 0;
            ++oh;
        }
    }
}
