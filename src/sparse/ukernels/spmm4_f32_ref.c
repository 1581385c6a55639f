/* src/sparse/ukernels/spmm4_f32_ref.c: portable C twins of the 4x1 block SpMM kernels */
#include <assert.h>
#include <string.h>

#include "sparse/ukernels/spmm.h"

/* For each group of 4 channels and mr <= MR pixels: start + sum over the group's columns in
 * order, multiply then add (no fused multiply-add), like the row twins. */
static inline void spmm4_ref(size_t MR, size_t mr, size_t n_oc, const float *restrict x,
                             const float *restrict w, const int32_t *restrict off_bytes,
                             const uint32_t *restrict nnz, float *restrict y,
                             size_t y_stride_bytes, const sc_spmm_params *prm)
{
    float acc[4][64];
    assert(mr >= 1 && mr <= MR && MR <= 64 && n_oc % 4 == 0);
    (void)MR;  /* only the assertion reads it */
    for (size_t g = 0; g < n_oc; g += 4) {
        const uint32_t n = nnz[g];
        for (size_t r = 0; r < 4; ++r) {
            const float *yr = (const float *)((const char *)y + (g + r) * y_stride_bytes);
            for (size_t p = 0; p < mr; ++p) acc[r][p] = prm->load_y ? yr[p] : w[r];
        }
        const float *wv = w + 4;
        for (uint32_t j = 0; j < n; ++j, wv += 4) {
            const float *xj = (const float *)((const char *)x + off_bytes[j]);
            for (size_t r = 0; r < 4; ++r)
                for (size_t p = 0; p < mr; ++p) {
                    const float prod = wv[r] * xj[p];
                    acc[r][p] = acc[r][p] + prod;
                }
        }
        for (size_t r = 0; r < 4; ++r) {
            if (prm->clamp)
                for (size_t p = 0; p < mr; ++p) {
                    float t = acc[r][p] < prm->lo ? prm->lo : acc[r][p];
                    acc[r][p] = t > prm->hi ? prm->hi : t;
                }
            memcpy((char *)y + (g + r) * y_stride_bytes, acc[r], mr * sizeof(float));
        }
        w += 4 + 4 * (size_t)n;
        off_bytes += n;
    }
}

#define SC_SPMM4_REF(MR, PARTIAL)                                                         \
    void sc_spmm4_f32_##MR##__ref(size_t mr, size_t n_oc, const float *restrict x,        \
                                  const float *restrict w, const int32_t *restrict off,   \
                                  const uint32_t *restrict nnz, float *restrict y,        \
                                  size_t y_stride_bytes, const sc_spmm_params *prm)       \
    {                                                                                     \
        assert(PARTIAL || mr == MR);                                                      \
        spmm4_ref(MR, mr, n_oc, x, w, off, nnz, y, y_stride_bytes, prm);                  \
    }

SC_SPMM4_REF(64, 0)
SC_SPMM4_REF(32, 0)
SC_SPMM4_REF(16, 0)
SC_SPMM4_REF(8, 1)
