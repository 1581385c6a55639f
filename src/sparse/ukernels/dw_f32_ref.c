/* src/sparse/ukernels/dw_f32_ref.c: portable twin of the direct depthwise row kernel */
#include "sparse/ukernels/dw.h"

void sc_dw_f32__ref(size_t n, size_t n_taps, const float *const *restrict src,
                    const float *restrict w, const int32_t *restrict lo,
                    const int32_t *restrict hi, float bias, const sc_spmm_params *prm,
                    float *restrict y)
{
    for (size_t ow = 0; ow < n; ++ow) {
        float acc = bias;
        for (size_t t = 0; t < n_taps; ++t)
            if ((int64_t)ow >= lo[t] && (int64_t)ow < hi[t]) {
                const float prod = w[t] * src[t][(int64_t)ow - lo[t]];
                acc = acc + prod;
            }
        if (prm->clamp) {
            acc = acc < prm->lo ? prm->lo : acc;  /* false for NaN: NaN kept */
            acc = acc > prm->hi ? prm->hi : acc;
        }
        y[ow] = acc;
    }
}
