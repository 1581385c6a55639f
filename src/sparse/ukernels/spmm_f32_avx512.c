/* src/sparse/ukernels/spmm_f32_avx512.c: AVX-512 SpMM row kernels, 4/2/1 zmm accumulators per channel */
#include <assert.h>
#include <immintrin.h>

#include "sparse/ukernels/spmm.h"

#define SC_UNROLL _Pragma("GCC unroll 8")

/* The AVX2 kernels' template with 16-float zmm vectors: per nonzero one broadcast, NV loads
 * and NV FMAs for 16*NV pixels, plus, when TAIL8, an 8-float ymm for the 56-pixel width.
 * Half the load and FMA instructions of the AVX2 kernels for the same tile, hence faster on
 * all but the thinnest layers (docs/kernels.md, "AVX-512 row kernels"). Each lane
 * computes the same FMAs in the same j order as the AVX2 and portable kernels, so the
 * results are bitwise those of the AVX2 kernels (tested). */

/* acc (+ tail) += wv * x[0 .. 16*NV (+ 8)) for one nonzero. */
static inline __attribute__((always_inline)) void
fma_nonzero(const int NV, const int TAIL8, __m512 wv, const float *restrict x, __m512 *acc,
            __m256 *tail)
{
    SC_UNROLL for (int v = 0; v < NV; ++v)
        acc[v] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + 16 * v), acc[v]);
    if (TAIL8)
        *tail = _mm256_fmadd_ps(_mm512_castps512_ps256(wv), _mm256_loadu_ps(x + 16 * NV), *tail);
}

static inline __attribute__((always_inline)) void
spmm_avx512(const int NV, const int TAIL8, size_t n_oc, const float *restrict x,
            const float *restrict w, const int32_t *restrict off_bytes,
            const uint32_t *restrict nnz, float *restrict y, size_t y_stride_bytes,
            const sc_spmm_params *prm)
{
    const char *xb = (const char *)x;
    const __m512 lo = _mm512_set1_ps(prm->lo), hi = _mm512_set1_ps(prm->hi);
    for (size_t o = 0; o < n_oc; ++o) {
        float *yo = (float *)((char *)y + o * y_stride_bytes);
        __m512 acc[4];
        __m256 tail = _mm256_setzero_ps();
        if (prm->load_y) {
            SC_UNROLL for (int v = 0; v < NV; ++v) acc[v] = _mm512_loadu_ps(yo + 16 * v);
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
            fma_nonzero(NV, TAIL8, w0, (const float *)(xb + off_bytes[0]), acc, &tail);
            fma_nonzero(NV, TAIL8, w1, (const float *)(xb + off_bytes[1]), acc, &tail);
            w += 2;
            off_bytes += 2;
        }
        if (j < n) {
            fma_nonzero(NV, TAIL8, _mm512_set1_ps(*w), (const float *)(xb + off_bytes[0]), acc,
                        &tail);
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
        SC_UNROLL for (int v = 0; v < NV; ++v) _mm512_storeu_ps(yo + 16 * v, acc[v]);
        if (TAIL8) _mm256_storeu_ps(yo + 16 * NV, tail);
    }
}

#define SC_SPMM_AVX512(MR)                                                                \
    void sc_spmm_f32_##MR##__avx512(size_t mr, size_t n_oc, const float *restrict x,      \
                                    const float *restrict w, const int32_t *restrict off, \
                                    const uint32_t *restrict nnz, float *restrict y,      \
                                    size_t y_stride_bytes, const sc_spmm_params *prm)     \
    {                                                                                     \
        assert(mr == MR);                                                                 \
        (void)mr;                                                                         \
        spmm_avx512(MR / 16, MR % 16 != 0, n_oc, x, w, off, nnz, y, y_stride_bytes, prm); \
    }

SC_SPMM_AVX512(64)
SC_SPMM_AVX512(32)
SC_SPMM_AVX512(16)
SC_SPMM_AVX512(56)  /* a 7x7 image's 49 pixels: 3 zmm + 1 ymm */

/* 1 <= mr <= 8 pixels in one masked register: masked-out lanes are neither read nor
 * written (AVX-512 masked loads do not fault there). */
void sc_spmm_f32_8__avx512(size_t mr, size_t n_oc, const float *restrict x,
                           const float *restrict w, const int32_t *restrict off_bytes,
                           const uint32_t *restrict nnz, float *restrict y,
                           size_t y_stride_bytes, const sc_spmm_params *prm)
{
    assert(mr >= 1 && mr <= 8);
    const __mmask8 mask = (__mmask8)((1u << mr) - 1u);
    const char *xb = (const char *)x;
    const __m256 lo = _mm256_set1_ps(prm->lo), hi = _mm256_set1_ps(prm->hi);
    for (size_t o = 0; o < n_oc; ++o) {
        float *yo = (float *)((char *)y + o * y_stride_bytes);
        __m256 acc = prm->load_y ? _mm256_maskz_loadu_ps(mask, yo) : _mm256_set1_ps(*w);
        ++w;
        for (uint32_t j = 0; j < nnz[o]; ++j) {
            const float *xj = (const float *)(xb + *off_bytes++);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(*w++), _mm256_maskz_loadu_ps(mask, xj), acc);
        }
        if (prm->clamp) acc = _mm256_min_ps(hi, _mm256_max_ps(lo, acc));
        _mm256_mask_storeu_ps(yo, mask, acc);
    }
}
