/* src/sparse/ukernels/dw_f32_avx2.c: AVX2+FMA direct depthwise rows kernel, column chunks over 4 rows at a time */
#include <immintrin.h>

#include "sparse/ukernels/dw.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* x + i floats, as an address only: a masked load may start before the buffer (its lanes
 * there are never read). */
ALWAYS_INLINE const float *at(const float *x, ptrdiff_t i)
{
    return (const float *)((uintptr_t)x + (uintptr_t)i * sizeof(float));
}

/* The clamp of spmm.h: max(lo, acc) and min(hi, .) return acc when it is NaN. */
ALWAYS_INLINE __m256 finish(__m256 acc, const sc_spmm_params *prm)
{
    return prm->clamp ? _mm256_min_ps(_mm256_set1_ps(prm->hi),
                                      _mm256_max_ps(_mm256_set1_ps(prm->lo), acc))
                      : acc;
}

/* Lanes i with i0 <= i < i1 (0 <= i0 < i1 <= 8). */
ALWAYS_INLINE __m256i lanes(ptrdiff_t i0, ptrdiff_t i1)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)i1), iota),
                            _mm256_cmpgt_epi32(iota, _mm256_set1_epi32((int)i0 - 1)));
}

/* A tap of an edge chunk: its lanes, its input at x + p (+ row offsets), its weight. */
typedef struct edge_tap {
    __m256i k;
    ptrdiff_t p;
    float w;
} edge_tap;

/* NR rows x NV vectors from column c, every tap valid on every lane. */
ALWAYS_INLINE void full(const int NR, const int NV, size_t n_taps, const float *x, ptrdiff_t xs,
                        const ptrdiff_t *restrict off, const float *restrict w, ptrdiff_t c,
                        __m256 vb, const sc_spmm_params *prm, float *y, ptrdiff_t ys)
{
    __m256 a[4][4];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) a[j][v] = vb;
    for (size_t t = 0; t < n_taps; ++t) {
        const float *s = x + (off[t] + c);
        const __m256 wv = _mm256_set1_ps(w[t]);
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j)
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v)
                a[j][v] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s + j * xs + 8 * v), a[j][v]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
            _mm256_storeu_ps(y + j * ys + c + 8 * v, finish(a[j][v], prm));
}

/* NR rows x one vector at an edge: the ne taps of e on their lanes (masked loads, a blend
 * keeps the other lanes), km the lanes stored. */
ALWAYS_INLINE void edge(const int NR, size_t ne, const edge_tap *restrict e, const float *x,
                        ptrdiff_t xs, __m256i km, __m256 vb, const sc_spmm_params *prm,
                        float *y, ptrdiff_t ys)
{
    __m256 a[4];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) a[j] = vb;
    for (size_t i = 0; i < ne; ++i) {
        const __m256i k = e[i].k;
        const __m256 kf = _mm256_castsi256_ps(k), wv = _mm256_set1_ps(e[i].w);
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) {
            const __m256 v = _mm256_maskload_ps(at(x, e[i].p + j * xs), k);
            a[j] = _mm256_blendv_ps(a[j], _mm256_fmadd_ps(wv, v, a[j]), kf);
        }
    }
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) _mm256_maskstore_ps(y + j * ys, km, finish(a[j], prm));
}

void sc_dw_f32__avx2(size_t n_rows, size_t n, size_t n_taps, const float *x, ptrdiff_t x_step,
                     const ptrdiff_t *restrict off, const float *restrict w,
                     const int32_t *restrict lo, const int32_t *restrict hi, float bias,
                     const sc_spmm_params *prm, float *y, ptrdiff_t y_step, void *restrict ws)
{
    const ptrdiff_t N = (ptrdiff_t)n, NR = (ptrdiff_t)n_rows, xs = x_step, ys = y_step;
    ptrdiff_t L = 0, R = N;  /* columns [L, R) have every tap valid */
    for (size_t t = 0; t < n_taps; ++t) {
        L = lo[t] > L ? lo[t] : L;
        R = hi[t] < R ? hi[t] : R;
    }
    const __m256 vb = _mm256_set1_ps(bias);
    edge_tap *e = ws;
    for (ptrdiff_t c = 0; c < N;) {
        ptrdiff_t r = 0;
        if (NR < 4 && c >= L && c + 32 <= R) {  /* fewer than 4 rows: 4 vectors per row */
            for (; r < NR; ++r)
                full(1, 4, n_taps, at(x, r * xs), xs, off, w, c, vb, prm, y + r * ys, ys);
            c += 32;
        } else if (c >= L && c + 16 <= R) {
            for (; r + 4 <= NR; r += 4)
                full(4, 2, n_taps, at(x, r * xs), xs, off, w, c, vb, prm, y + r * ys, ys);
            for (; r < NR; ++r)
                full(1, 2, n_taps, at(x, r * xs), xs, off, w, c, vb, prm, y + r * ys, ys);
            c += 16;
        } else if (c >= L && c + 8 <= R) {
            for (; r + 4 <= NR; r += 4)
                full(4, 1, n_taps, at(x, r * xs), xs, off, w, c, vb, prm, y + r * ys, ys);
            for (; r < NR; ++r)
                full(1, 1, n_taps, at(x, r * xs), xs, off, w, c, vb, prm, y + r * ys, ys);
            c += 8;
        } else {
            /* a chunk at a clipped edge or the row's end: each tap on its valid lanes only;
             * taps without lanes here are dropped */
            const ptrdiff_t m = N - c < 8 ? N - c : 8;
            size_t ne = 0;
            for (size_t t = 0; t < n_taps; ++t) {
                const ptrdiff_t i0 = lo[t] > c ? lo[t] - c : 0;
                const ptrdiff_t i1 = hi[t] - c < m ? hi[t] - c : m;
                if (i1 <= i0) continue;
                e[ne].k = lanes(i0, i1);
                e[ne].p = off[t] + c;
                e[ne].w = w[t];
                ++ne;
            }
            const __m256i km = lanes(0, m);
            for (; r + 4 <= NR; r += 4)
                edge(4, ne, e, at(x, r * xs), xs, km, vb, prm, y + r * ys + c, ys);
            for (; r < NR; ++r)
                edge(1, ne, e, at(x, r * xs), xs, km, vb, prm, y + r * ys + c, ys);
            c += 8;
        }
    }
}
