/* src/sparse/weight_grad_avx2.c: AVX2+FMA weight-gradient dot products, 4 nonzeros x 16 pixels per step */
#include <immintrin.h>

#include "sparse/weight_grad_kernels.h"

static inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* NJ nonzeros (1..4) at once: acc[t][0] over pixels 16i..16i+7, acc[t][1] over 16i+8..16i+15,
 * then one 8-pixel step and one masked step for the tail. */
static inline __attribute__((always_inline)) void
dot_block(const int NJ, size_t m, const float *restrict y, const float *const xs[4],
          float *restrict sums)
{
    __m256 acc[4][2];
    for (int t = 0; t < NJ; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
    size_t p = 0;
    for (; p + 16 <= m; p += 16) {
        const __m256 d0 = _mm256_loadu_ps(y + p), d1 = _mm256_loadu_ps(y + p + 8);
        for (int t = 0; t < NJ; ++t) {
            acc[t][0] = _mm256_fmadd_ps(d0, _mm256_loadu_ps(xs[t] + p), acc[t][0]);
            acc[t][1] = _mm256_fmadd_ps(d1, _mm256_loadu_ps(xs[t] + p + 8), acc[t][1]);
        }
    }
    if (p + 8 <= m) {
        const __m256 d0 = _mm256_loadu_ps(y + p);
        for (int t = 0; t < NJ; ++t)
            acc[t][0] = _mm256_fmadd_ps(d0, _mm256_loadu_ps(xs[t] + p), acc[t][0]);
        p += 8;
    }
    if (p < m) {
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(m - p)), lane);
        const __m256 d1 = _mm256_maskload_ps(y + p, mask);
        for (int t = 0; t < NJ; ++t)
            acc[t][1] = _mm256_fmadd_ps(d1, _mm256_maskload_ps(xs[t] + p, mask), acc[t][1]);
    }
    for (int t = 0; t < NJ; ++t) sums[t] = hsum(_mm256_add_ps(acc[t][0], acc[t][1]));
}

void sc_wgrad_dot_f32__avx2(size_t m, size_t nnz, const float *restrict y,
                            const float *restrict x, const int64_t *restrict off,
                            float *restrict sums)
{
    size_t j = 0;
    for (; j + 4 <= nnz; j += 4) {
        const float *xs[4] = {x + off[j], x + off[j + 1], x + off[j + 2], x + off[j + 3]};
        dot_block(4, m, y, xs, sums + j);
    }
    for (; j < nnz; ++j) {
        const float *xs[4] = {x + off[j], x, x, x};
        dot_block(1, m, y, xs, sums + j);
    }
}
