/* src/sparse/ukernels/spmm_split_f32_avx512.c: AVX-512 split-tap row kernel: every input load 64-byte aligned, the taps' column shifts applied once per row in registers */
#include <assert.h>
#include <immintrin.h>

#include "sparse/ukernels/spmm.h"
#include "sparse/ukernels/spmm_avx512_widths.h"

#define SC_UNROLL _Pragma("GCC unroll 9")

/* A KxK tap (kh, kw) reads its input kw*dw/sw floats right of a 16-float boundary (planes
 * with wq a multiple of 16, tiles starting on 16 floats), so most of a 3x3 layer's zmm
 * loads split two cache lines. Here a row's nonzeros come in segments by that column shift
 * s (sc_spmm_params.seg_*): segment 0 (s = 0) accumulates into the output vectors directly;
 * segment k sums its nonzeros at the aligned address s floats before the tap into NV + 1
 * vectors z, then adds z shifted down by s lanes (vpermt2ps across z[v], z[v + 1]) once.
 * Each output is start + segment 0's products in order + segment 1's sum + segment 2's ...
 * whatever the tile: results depend on the plan, never on the tiling or the threads
 * (docs/kernels.md, "Split taps"). Up to 8 + 9 zmm live. Reads up to 16 floats past the
 * tile's plain reach (inside the planes or their zeroed tail); writes only mr floats. */

static inline __attribute__((always_inline)) void
split_rows(const int NV, const int MASKED, __mmask16 last, size_t n_oc, const float *restrict x,
           const float *restrict w, const int32_t *restrict off, float *restrict y,
           size_t y_stride_bytes, const sc_spmm_params *prm)
{
    const char *xb = (const char *)x;
    const __m512 lo = _mm512_set1_ps(prm->lo), hi = _mm512_set1_ps(prm->hi);
    const int n_seg = prm->n_seg;
    const uint32_t *cnt = prm->seg_nnz;
    for (size_t o = 0; o < n_oc; ++o, cnt += n_seg) {
        float *yo = (float *)((char *)y + o * y_stride_bytes);
        __m512 acc[8];
        if (prm->load_y) {
            SC_UNROLL for (int v = 0; v < NV; ++v)
                acc[v] = MASKED && v == NV - 1 ? _mm512_maskz_loadu_ps(last, yo + 16 * v)
                                               : _mm512_loadu_ps(yo + 16 * v);
        } else {
            const __m512 b = _mm512_set1_ps(*w);
            SC_UNROLL for (int v = 0; v < NV; ++v) acc[v] = b;
        }
        ++w;
        for (uint32_t j = 0; j < cnt[0]; ++j) {
            const __m512 wv = _mm512_set1_ps(*w++);
            const float *xp = (const float *)(xb + *off++);
            SC_UNROLL for (int v = 0; v < NV; ++v)
                acc[v] = _mm512_fmadd_ps(wv, _mm512_load_ps(xp + 16 * v), acc[v]);
        }
        for (int k = 1; k < n_seg; ++k) {
            const uint32_t n = cnt[k];
            if (n == 0) continue;
            __m512 z[9];
            SC_UNROLL for (int v = 0; v <= NV; ++v) z[v] = _mm512_setzero_ps();
            for (uint32_t j = 0; j < n; ++j) {
                const __m512 wv = _mm512_set1_ps(*w++);
                const float *xp = (const float *)(xb + *off++);
                SC_UNROLL for (int v = 0; v <= NV; ++v)
                    z[v] = _mm512_fmadd_ps(wv, _mm512_load_ps(xp + 16 * v), z[v]);
            }
            /* lane i of the result is lane i + s of (z[v], z[v + 1]) */
            const __m512i idx = _mm512_add_epi32(
                _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                _mm512_set1_epi32(prm->seg_shift[k]));
            SC_UNROLL for (int v = 0; v < NV; ++v)
                acc[v] = _mm512_add_ps(acc[v], _mm512_permutex2var_ps(z[v], idx, z[v + 1]));
        }
        if (prm->clamp) /* accumulator second: max/min return it when it is NaN */
            SC_UNROLL for (int v = 0; v < NV; ++v)
                acc[v] = _mm512_min_ps(hi, _mm512_max_ps(lo, acc[v]));
        SC_UNROLL for (int v = 0; v < NV; ++v) {
            if (MASKED && v == NV - 1)
                _mm512_mask_storeu_ps(yo + 16 * v, last, acc[v]);
            else
                _mm512_storeu_ps(yo + 16 * v, acc[v]);
        }
    }
}

/* Any 1 <= mr <= 128 pixels in one call, x 64-byte aligned; nnz is unused (the segment
 * counts in prm hold each row's split, and sum to it). */
void sc_spmm_split_f32_128__avx512(size_t mr, size_t n_oc, const float *restrict x,
                                   const float *restrict w, const int32_t *restrict off,
                                   const uint32_t *restrict nnz, float *restrict y,
                                   size_t y_stride_bytes, const sc_spmm_params *prm)
{
    assert(mr >= 1 && mr <= 128 && prm->n_seg >= 1 && prm->n_seg <= SC_SPMM_MAX_SEG);
    assert(((uintptr_t)x & 63) == 0);
    (void)nnz;
    const __mmask16 last = sc_spmm_last_lanes(mr);
#define SC_ROWS(NV, MASKED)                                                       \
    ((MASKED) ? split_rows(NV, 1, last, n_oc, x, w, off, y, y_stride_bytes, prm)  \
              : split_rows(NV, 0, last, n_oc, x, w, off, y, y_stride_bytes, prm))
    SC_SPMM_AVX512_DISPATCH(mr, SC_ROWS);
#undef SC_ROWS
}
