/* src/sparse/ukernels/spmm_f32_ref.c: portable C twins of the SpMM kernels (fallback, first oracle) */
#include <assert.h>
#include <string.h>

#include "sparse/ukernels/spmm.h"

/* Y[o][p] = start + sum_j val[j] * x_j[p] for mr <= MR pixels, one channel after another;
 * plain multiply then add in j order (no fused multiply-add). */
static inline void spmm_ref(size_t MR, size_t mr, size_t n_oc, const float *restrict x,
                            const float *restrict w, const int32_t *restrict off_bytes,
                            const uint32_t *restrict nnz, float *restrict y,
                            size_t y_stride_bytes, const sc_spmm_params *prm)
{
    float acc[72];
    assert(mr >= 1 && mr <= MR && MR <= 72);
    (void)MR;  /* only the assertion reads it */
    for (size_t o = 0; o < n_oc; ++o) {
        float *yo = (float *)((char *)y + o * y_stride_bytes);
        const float bias = *w++;
        for (size_t p = 0; p < mr; ++p) acc[p] = prm->load_y ? yo[p] : bias;
        for (uint32_t j = 0; j < nnz[o]; ++j) {
            const float v = *w++;
            const float *xj = (const float *)((const char *)x + *off_bytes++);
            for (size_t p = 0; p < mr; ++p) {
                const float prod = v * xj[p];
                acc[p] = acc[p] + prod;
            }
        }
        if (prm->clamp)
            for (size_t p = 0; p < mr; ++p) {
                float t = acc[p] < prm->lo ? prm->lo : acc[p];
                acc[p] = t > prm->hi ? prm->hi : t;
            }
        memcpy(yo, acc, mr * sizeof *acc);
    }
}

#define SC_SPMM_REF(MR, PARTIAL)                                                          \
    void sc_spmm_f32_##MR##__ref(size_t mr, size_t n_oc, const float *restrict x,         \
                                 const float *restrict w, const int32_t *restrict off,    \
                                 const uint32_t *restrict nnz, float *restrict y,         \
                                 size_t y_stride_bytes, const sc_spmm_params *prm)        \
    {                                                                                     \
        assert(PARTIAL == 1 || mr == MR || (PARTIAL == 2 && mr + 8 > MR));              \
        spmm_ref(MR, mr, n_oc, x, w, off, nnz, y, y_stride_bytes, prm);                   \
    }

SC_SPMM_REF(64, 0)
SC_SPMM_REF(32, 0)
SC_SPMM_REF(16, 0)
SC_SPMM_REF(8, 1)
SC_SPMM_REF(56, 0)
SC_SPMM_REF(72, 2)  /* 65..72: a last tile of 64 plus a short rest */
