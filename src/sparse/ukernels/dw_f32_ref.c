/* src/sparse/ukernels/dw_f32_ref.c: portable twin of the direct depthwise rows kernel */
#include "sparse/ukernels/dw.h"

void sc_dw_f32__ref(size_t n_rows, size_t n, size_t n_taps, const float *x, ptrdiff_t x_step,
                    const ptrdiff_t *restrict off, const float *restrict w,
                    const int32_t *restrict lo, const int32_t *restrict hi, float bias,
                    const sc_spmm_params *prm, float *y, ptrdiff_t y_step, void *restrict ws)
{
    (void)ws;
    for (size_t r = 0; r < n_rows; ++r)
        for (size_t c = 0; c < n; ++c) {
            float acc = bias;
            for (size_t t = 0; t < n_taps; ++t)
                if ((int64_t)c >= lo[t] && (int64_t)c < hi[t]) {
                    const float prod = w[t] * x[(ptrdiff_t)r * x_step + off[t] + (ptrdiff_t)c];
                    acc = acc + prod;
                }
            if (prm->clamp) {
                acc = acc < prm->lo ? prm->lo : acc;  /* false for NaN: NaN kept */
                acc = acc > prm->hi ? prm->hi : acc;
            }
            y[(ptrdiff_t)r * y_step + (ptrdiff_t)c] = acc;
        }
}
