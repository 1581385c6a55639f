/* src/sparse/ukernels/dw_f32_avx512.c: AVX-512 direct depthwise row kernel, 64 columns per step */
#include <immintrin.h>

#include "sparse/ukernels/dw.h"

/* The clamp of spmm.h: max(lo, acc) and min(hi, .) return acc when it is NaN. */
static inline __m512 finish(__m512 acc, int clamp, __m512 vlo, __m512 vhi)
{
    return clamp ? _mm512_min_ps(vhi, _mm512_max_ps(vlo, acc)) : acc;
}

void sc_dw_f32__avx512(size_t n, size_t n_taps, const float *const *restrict src,
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
    const __m512 vb = _mm512_set1_ps(bias);
    const __m512 vlo = _mm512_set1_ps(prm->lo), vhi = _mm512_set1_ps(prm->hi);
    const int clamp = prm->clamp;
    for (int64_t c = 0; c < N;) {
        if (c >= L && c + 64 <= R) {
            __m512 a0 = vb, a1 = vb, a2 = vb, a3 = vb;
            for (size_t t = 0; t < n_taps; ++t) {
                const float *s = src[t] + (c - lo[t]);
                const __m512 wv = _mm512_set1_ps(w[t]);
                a0 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s), a0);
                a1 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s + 16), a1);
                a2 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s + 32), a2);
                a3 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s + 48), a3);
            }
            _mm512_storeu_ps(y + c, finish(a0, clamp, vlo, vhi));
            _mm512_storeu_ps(y + c + 16, finish(a1, clamp, vlo, vhi));
            _mm512_storeu_ps(y + c + 32, finish(a2, clamp, vlo, vhi));
            _mm512_storeu_ps(y + c + 48, finish(a3, clamp, vlo, vhi));
            c += 64;
        } else if (c >= L && c + 16 <= R) {
            __m512 a = vb;
            for (size_t t = 0; t < n_taps; ++t)
                a = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), _mm512_loadu_ps(src[t] + (c - lo[t])),
                                    a);
            _mm512_storeu_ps(y + c, finish(a, clamp, vlo, vhi));
            c += 16;
        } else {
            /* a vector at a clipped edge or the row's end: each tap on its valid lanes only,
             * the others neither loaded nor changed */
            const int64_t m = N - c < 16 ? N - c : 16;
            __m512 a = vb;
            for (size_t t = 0; t < n_taps; ++t) {
                const int64_t i0 = lo[t] > c ? lo[t] - c : 0;
                const int64_t i1 = hi[t] - c < m ? hi[t] - c : m;
                if (i1 <= i0) continue;
                const __mmask16 k = (__mmask16)(((1u << i1) - 1u) & ~((1u << i0) - 1u));
                const float *s = (const float *)((uintptr_t)src[t] +
                                                 (uintptr_t)((c - lo[t]) * 4));
                a = _mm512_mask3_fmadd_ps(_mm512_set1_ps(w[t]), _mm512_maskz_loadu_ps(k, s), a,
                                          k);
            }
            _mm512_mask_storeu_ps(y + c, (__mmask16)((1u << m) - 1u), finish(a, clamp, vlo, vhi));
            c += 16;
        }
    }
}
