/* src/sparse/ukernels/spmm_split_f32_ref.c: portable twin of the split-tap row kernel (test oracle) */
#include <assert.h>
#include <string.h>

#include "sparse/ukernels/spmm.h"

/* The sums of sc_spmm_split_f32_128__avx512 in its order, plain multiply then add: per
 * channel, start + segment 0's products, then each later segment k's own sum z (over the
 * pixels p + shift[k], read at its aligned offsets) added once. */
void sc_spmm_split_f32_128__ref(size_t mr, size_t n_oc, const float *restrict x,
                                const float *restrict w, const int32_t *restrict off,
                                const uint32_t *restrict nnz, float *restrict y,
                                size_t y_stride_bytes, const sc_spmm_params *prm)
{
    enum { MAXP = 128 + 16 };
    float acc[128], z[MAXP];
    assert(mr >= 1 && mr <= 128 && prm->n_seg >= 1 && prm->n_seg <= SC_SPMM_MAX_SEG);
    (void)nnz;
    const uint32_t *cnt = prm->seg_nnz;
    for (size_t o = 0; o < n_oc; ++o, cnt += prm->n_seg) {
        float *yo = (float *)((char *)y + o * y_stride_bytes);
        const float bias = *w++;
        for (size_t p = 0; p < mr; ++p) acc[p] = prm->load_y ? yo[p] : bias;
        for (int k = 0; k < prm->n_seg; ++k) {
            const size_t s = (size_t)prm->seg_shift[k];
            assert(s < 16 && (k > 0 || s == 0));
            if (k > 0 && cnt[k] == 0) continue;  /* as the SIMD kernel: -0.0 stays -0.0 */
            float *sum = k == 0 ? acc : z;  /* segment 0 into the outputs directly */
            if (k > 0) memset(z, 0, (mr + s) * sizeof *z);
            for (uint32_t j = 0; j < cnt[k]; ++j) {
                const float v = *w++;
                const float *xj = (const float *)((const char *)x + *off++);
                for (size_t p = 0; p < mr + s; ++p) {
                    const float prod = v * xj[p];
                    sum[p] = sum[p] + prod;
                }
            }
            if (k > 0)
                for (size_t p = 0; p < mr; ++p) acc[p] = acc[p] + z[p + s];
        }
        if (prm->clamp)
            for (size_t p = 0; p < mr; ++p) {
                float t = acc[p] < prm->lo ? prm->lo : acc[p];
                acc[p] = t > prm->hi ? prm->hi : t;
            }
        memcpy(yo, acc, mr * sizeof *acc);
    }
}
