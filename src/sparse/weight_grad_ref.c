/* src/sparse/weight_grad_ref.c: portable twin of the weight-gradient dot-product kernel */
#include "sparse/weight_grad_kernels.h"

void sc_wgrad_dot_f32__ref(size_t m, size_t nnz, const float *restrict y,
                           const float *restrict x, const int64_t *restrict off,
                           float *restrict sums)
{
    for (size_t j = 0; j < nnz; ++j) {
        const float *xj = x + off[j];
        float acc = 0.0f;
        for (size_t p = 0; p < m; ++p) {
            const float prod = y[p] * xj[p];
            acc = acc + prod;
        }
        sums[j] = acc;
    }
}
