/* src/sparse/ukernels/dw_f32_avx512.c: AVX-512 direct depthwise rows kernel, column chunks over 4 rows at a time */
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
ALWAYS_INLINE __m512 finish(__m512 acc, const sc_spmm_params *prm)
{
    return prm->clamp ? _mm512_min_ps(_mm512_set1_ps(prm->hi),
                                      _mm512_max_ps(_mm512_set1_ps(prm->lo), acc))
                      : acc;
}

/* A tap of an edge chunk: its input at x + p (+ row offsets), its weight and lanes. */
typedef struct edge_tap {
    ptrdiff_t p;
    float w;
    uint32_t k;
} edge_tap;

/* NR rows x NV vectors from column c, every tap valid on every lane. */
ALWAYS_INLINE void full(const int NR, const int NV, size_t n_taps, const float *x, ptrdiff_t xs,
                        const ptrdiff_t *restrict off, const float *restrict w, ptrdiff_t c,
                        __m512 vb, const sc_spmm_params *prm, float *y, ptrdiff_t ys)
{
    __m512 a[4][4];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) a[j][v] = vb;
    for (size_t t = 0; t < n_taps; ++t) {
        const float *s = x + (off[t] + c);
        const __m512 wv = _mm512_set1_ps(w[t]);
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j)
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v)
                a[j][v] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s + j * xs + 16 * v), a[j][v]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
            _mm512_storeu_ps(y + j * ys + c + 16 * v, finish(a[j][v], prm));
}

/* NR rows x one vector at an edge: the ne taps of e on their lanes, km the lanes stored. */
ALWAYS_INLINE void edge(const int NR, size_t ne, const edge_tap *restrict e, const float *x,
                        ptrdiff_t xs, __mmask16 km, __m512 vb, const sc_spmm_params *prm,
                        float *y, ptrdiff_t ys)
{
    __m512 a[4];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) a[j] = vb;
    for (size_t i = 0; i < ne; ++i) {
        const __mmask16 k = (__mmask16)e[i].k;
        const __m512 wv = _mm512_set1_ps(e[i].w);
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j)
            a[j] = _mm512_mask3_fmadd_ps(wv, _mm512_maskz_loadu_ps(k, at(x, e[i].p + j * xs)),
                                         a[j], k);
    }
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) _mm512_mask_storeu_ps(y + j * ys, km, finish(a[j], prm));
}

void sc_dw_f32__avx512(size_t n_rows, size_t n, size_t n_taps, const float *x,
                       ptrdiff_t x_step, const ptrdiff_t *restrict off,
                       const float *restrict w, const int32_t *restrict lo,
                       const int32_t *restrict hi, float bias, const sc_spmm_params *prm,
                       float *y, ptrdiff_t y_step, void *restrict ws)
{
    const ptrdiff_t N = (ptrdiff_t)n, NR = (ptrdiff_t)n_rows, xs = x_step, ys = y_step;
    ptrdiff_t L = 0, R = N;  /* columns [L, R) have every tap valid */
    for (size_t t = 0; t < n_taps; ++t) {
        L = lo[t] > L ? lo[t] : L;
        R = hi[t] < R ? hi[t] : R;
    }
    const __m512 vb = _mm512_set1_ps(bias);
    edge_tap *e = ws;
    for (ptrdiff_t c = 0; c < N;) {
        ptrdiff_t r = 0;
        if (NR < 4 && c >= L && c + 64 <= R) {  /* fewer than 4 rows: 4 vectors per row */
            for (; r < NR; ++r)
                full(1, 4, n_taps, at(x, r * xs), xs, off, w, c, vb, prm, y + r * ys, ys);
            c += 64;
        } else if (c >= L && c + 32 <= R) {
            for (; r + 4 <= NR; r += 4)
                full(4, 2, n_taps, at(x, r * xs), xs, off, w, c, vb, prm, y + r * ys, ys);
            for (; r < NR; ++r)
                full(1, 2, n_taps, at(x, r * xs), xs, off, w, c, vb, prm, y + r * ys, ys);
            c += 32;
        } else if (c >= L && c + 16 <= R) {
            for (; r + 4 <= NR; r += 4)
                full(4, 1, n_taps, at(x, r * xs), xs, off, w, c, vb, prm, y + r * ys, ys);
            for (; r < NR; ++r)
                full(1, 1, n_taps, at(x, r * xs), xs, off, w, c, vb, prm, y + r * ys, ys);
            c += 16;
        } else {
            /* a chunk at a clipped edge or the row's end: each tap on its valid lanes only,
             * the others neither loaded nor changed; taps without lanes here are dropped */
            const ptrdiff_t m = N - c < 16 ? N - c : 16;
            size_t ne = 0;
            for (size_t t = 0; t < n_taps; ++t) {
                const ptrdiff_t i0 = lo[t] > c ? lo[t] - c : 0;
                const ptrdiff_t i1 = hi[t] - c < m ? hi[t] - c : m;
                if (i1 <= i0) continue;
                e[ne++] = (edge_tap){off[t] + c, w[t], ((1u << i1) - 1u) & ~((1u << i0) - 1u)};
            }
            const __mmask16 km = (__mmask16)((1u << m) - 1u);
            for (; r + 4 <= NR; r += 4)
                edge(4, ne, e, at(x, r * xs), xs, km, vb, prm, y + r * ys + c, ys);
            for (; r < NR; ++r)
                edge(1, ne, e, at(x, r * xs), xs, km, vb, prm, y + r * ys + c, ys);
            c += 16;
        }
    }
}
