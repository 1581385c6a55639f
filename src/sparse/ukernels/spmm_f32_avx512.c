/* src/sparse/ukernels/spmm_f32_avx512.c: AVX-512 SpMM row kernels, up to 8 zmm accumulators per channel, k-masked tails */
#include <assert.h>
#include <immintrin.h>

#include "sparse/ukernels/spmm.h"
#include "sparse/ukernels/spmm_avx512_widths.h"

#define SC_UNROLL _Pragma("GCC unroll 8")

/* The AVX2 kernels' template with 16-float zmm vectors: per nonzero one broadcast, NV loads
 * and NV FMAs for 16*NV pixels. MASKED: the last zmm covers only the lanes of `last`
 * through k-masked loads and stores (masked-out lanes are neither read nor written, and do
 * not fault); TAIL8: an 8-float ymm after the NV zmm (the 56-pixel width). Up to 8 zmm
 * accumulators fit the 32 registers with the weights, bounds and loads. Each lane computes
 * the same FMAs in the same j order as the AVX2 and portable kernels, so the results are
 * bitwise those of the AVX2 kernels (tested; docs/kernels.md, "AVX-512 row kernels"). */

/* acc (+ tail) += wv * x[0 .. 16*NV (+ 8)) for one nonzero. */
static inline __attribute__((always_inline)) void
fma_nonzero(const int NV, const int MASKED, const int TAIL8, __mmask16 last, __m512 wv,
            const float *restrict x, __m512 *acc, __m256 *tail)
{
    SC_UNROLL for (int v = 0; v < NV; ++v) {
        const __m512 xv = MASKED && v == NV - 1 ? _mm512_maskz_loadu_ps(last, x + 16 * v)
                                                : _mm512_loadu_ps(x + 16 * v);
        acc[v] = _mm512_fmadd_ps(wv, xv, acc[v]);
    }
    if (TAIL8)
        *tail = _mm256_fmadd_ps(_mm512_castps512_ps256(wv), _mm256_loadu_ps(x + 16 * NV), *tail);
}

static inline __attribute__((always_inline)) void
spmm_avx512(const int NV, const int MASKED, const int TAIL8, __mmask16 last, size_t n_oc,
            const float *restrict x, const float *restrict w, const int32_t *restrict off_bytes,
            const uint32_t *restrict nnz, float *restrict y, size_t y_stride_bytes,
            const sc_spmm_params *prm)
{
    const char *xb = (const char *)x;
    const __m512 lo = _mm512_set1_ps(prm->lo), hi = _mm512_set1_ps(prm->hi);
    for (size_t o = 0; o < n_oc; ++o) {
        float *yo = (float *)((char *)y + o * y_stride_bytes);
        __m512 acc[8];
        __m256 tail = _mm256_setzero_ps();
        if (prm->load_y) {
            SC_UNROLL for (int v = 0; v < NV; ++v)
                acc[v] = MASKED && v == NV - 1 ? _mm512_maskz_loadu_ps(last, yo + 16 * v)
                                               : _mm512_loadu_ps(yo + 16 * v);
            if (TAIL8) tail = _mm256_loadu_ps(yo + 16 * NV);
        } else {
            const __m512 b = _mm512_set1_ps(*w);
            SC_UNROLL for (int v = 0; v < NV; ++v) acc[v] = b;
            if (TAIL8) tail = _mm512_castps512_ps256(b);
        }
        ++w;
        uint32_t n = nnz[o], j = 0;
        for (; j + 2 <= n; j += 2) {  /* unrolled by two, same j order */
            const __m512 w0 = _mm512_set1_ps(w[0]), w1 = _mm512_set1_ps(w[1]);
            fma_nonzero(NV, MASKED, TAIL8, last, w0, (const float *)(xb + off_bytes[0]), acc,
                        &tail);
            fma_nonzero(NV, MASKED, TAIL8, last, w1, (const float *)(xb + off_bytes[1]), acc,
                        &tail);
            w += 2;
            off_bytes += 2;
        }
        if (j < n) {
            fma_nonzero(NV, MASKED, TAIL8, last, _mm512_set1_ps(*w),
                        (const float *)(xb + off_bytes[0]), acc, &tail);
            ++w;
            ++off_bytes;
        }
        if (prm->clamp) {  /* accumulator second: max/min return it when it is NaN */
            SC_UNROLL for (int v = 0; v < NV; ++v)
                acc[v] = _mm512_min_ps(hi, _mm512_max_ps(lo, acc[v]));
            if (TAIL8)
                tail = _mm256_min_ps(_mm512_castps512_ps256(hi),
                                     _mm256_max_ps(_mm512_castps512_ps256(lo), tail));
        }
        SC_UNROLL for (int v = 0; v < NV; ++v) {
            if (MASKED && v == NV - 1)
                _mm512_mask_storeu_ps(yo + 16 * v, last, acc[v]);
            else
                _mm512_storeu_ps(yo + 16 * v, acc[v]);
        }
        if (TAIL8) _mm256_storeu_ps(yo + 16 * NV, tail);
    }
}

/* Any 1 <= mr <= 128 pixels in one call: ceil(mr / 16) zmm per channel, the last one
 * k-masked unless mr is a multiple of 16, so a tile's rest is one call instead of a chain of
 * narrower kernels; every width takes its own unrolled body. */
void sc_spmm_f32_128__avx512(size_t mr, size_t n_oc, const float *restrict x,
                             const float *restrict w, const int32_t *restrict off,
                             const uint32_t *restrict nnz, float *restrict y,
                             size_t y_stride_bytes, const sc_spmm_params *prm)
{
    assert(mr >= 1 && mr <= 128);
    const __mmask16 last = sc_spmm_last_lanes(mr);
    /* MASKED is a constant in each branch: both bodies are unrolled */
#define SC_ROWS(NV, MASKED)                                                                \
    ((MASKED) ? spmm_avx512(NV, 1, 0, last, n_oc, x, w, off, nnz, y, y_stride_bytes, prm)  \
              : spmm_avx512(NV, 0, 0, last, n_oc, x, w, off, nnz, y, y_stride_bytes, prm))
    SC_SPMM_AVX512_DISPATCH(mr, SC_ROWS);
#undef SC_ROWS
}

/* A 7x7 image's 49 pixels: 3 zmm + 1 ymm. */
void sc_spmm_f32_56__avx512(size_t mr, size_t n_oc, const float *restrict x,
                            const float *restrict w, const int32_t *restrict off,
                            const uint32_t *restrict nnz, float *restrict y,
                            size_t y_stride_bytes, const sc_spmm_params *prm)
{
    assert(mr == 56);
    (void)mr;
    spmm_avx512(3, 0, 1, 0, n_oc, x, w, off, nnz, y, y_stride_bytes, prm);
}
