/* src/sparse/ukernels/dw_f32_avx2.c: AVX2+FMA direct depthwise row kernel, 32 columns per step */
#include <immintrin.h>

#include "sparse/ukernels/dw.h"

/* The clamp of spmm.h: max(lo, acc) and min(hi, .) return acc when it is NaN. */
static inline __m256 finish(__m256 acc, int clamp, __m256 vlo, __m256 vhi)
{
    return clamp ? _mm256_min_ps(vhi, _mm256_max_ps(vlo, acc)) : acc;
}

/* Lanes i with i0 <= i < i1 (0 <= i0 < i1 <= 8). */
static inline __m256i lanes(int64_t i0, int64_t i1)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)i1), iota),
                            _mm256_cmpgt_epi32(iota, _mm256_set1_epi32((int)i0 - 1)));
}

void sc_dw_f32__avx2(size_t n, size_t n_taps, const float *const *restrict src,
                     const float *restrict w, const int32_t *restrict lo,
                     const int32_t *restrict hi, float bias, const sc_spmm_params *prm,
                     float *restrict y)
{
    const int64_t N = (int64_t)n;
    int64_t L = 0, R = N;  /* columns [L, R) have every tap valid */
    for (size_t t = 0; t < n_taps; ++t) {
        L = lo[t] > L ? lo[t] : L;
        R = hi[t] < R ? hi[t] : R;
    }
    const __m256 vb = _mm256_set1_ps(bias);
    const __m256 vlo = _mm256_set1_ps(prm->lo), vhi = _mm256_set1_ps(prm->hi);
    const int clamp = prm->clamp;
    for (int64_t c = 0; c < N;) {
        if (c >= L && c + 32 <= R) {
            __m256 a0 = vb, a1 = vb, a2 = vb, a3 = vb;
            for (size_t t = 0; t < n_taps; ++t) {
                const float *s = src[t] + (c - lo[t]);
                const __m256 wv = _mm256_set1_ps(w[t]);
                a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s), a0);
                a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s + 8), a1);
                a2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s + 16), a2);
                a3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s + 24), a3);
            }
            _mm256_storeu_ps(y + c, finish(a0, clamp, vlo, vhi));
            _mm256_storeu_ps(y + c + 8, finish(a1, clamp, vlo, vhi));
            _mm256_storeu_ps(y + c + 16, finish(a2, clamp, vlo, vhi));
            _mm256_storeu_ps(y + c + 24, finish(a3, clamp, vlo, vhi));
            c += 32;
        } else if (c >= L && c + 8 <= R) {
            __m256 a = vb;
            for (size_t t = 0; t < n_taps; ++t)
                a = _mm256_fmadd_ps(_mm256_set1_ps(w[t]), _mm256_loadu_ps(src[t] + (c - lo[t])),
                                    a);
            _mm256_storeu_ps(y + c, finish(a, clamp, vlo, vhi));
            c += 8;
        } else {
            /* a vector at a clipped edge or the row's end: each tap on its valid lanes only
             * (masked loads, a blend keeps the other lanes) */
            const int64_t m = N - c < 8 ? N - c : 8;
            __m256 a = vb;
            for (size_t t = 0; t < n_taps; ++t) {
                const int64_t i0 = lo[t] > c ? lo[t] - c : 0;
                const int64_t i1 = hi[t] - c < m ? hi[t] - c : m;
                if (i1 <= i0) continue;
                const __m256i k = lanes(i0, i1);
                const float *s = (const float *)((uintptr_t)src[t] +
                                                 (uintptr_t)((c - lo[t]) * 4));
                const __m256 x = _mm256_maskload_ps(s, k);
                a = _mm256_blendv_ps(a, _mm256_fmadd_ps(_mm256_set1_ps(w[t]), x, a),
                                     _mm256_castsi256_ps(k));
            }
            _mm256_maskstore_ps(y + c, lanes(0, m), finish(a, clamp, vlo, vhi));
            c += 8;
        }
    }
}
