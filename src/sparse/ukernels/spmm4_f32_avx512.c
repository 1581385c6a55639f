/* src/sparse/ukernels/spmm4_f32_avx512.c: AVX-512 4x1 block SpMM kernels: 4 channels share each zmm input load */
#include <assert.h>
#include <immintrin.h>

#include "sparse/ukernels/spmm.h"

#define SC_UNROLL _Pragma("GCC unroll 8")

/* A group of 4 channels over 16*NV pixels in one pass: 4*NV zmm accumulators (16 for 64
 * pixels; 128 pixels would need 32, the whole register file), per column NV input loads
 * shared by the 4 channels, 4 broadcasts and 4*NV FMAs. Each lane runs the same FMAs in the
 * same column order as the AVX2 and row kernels, so the results are bitwise theirs. */
static inline __attribute__((always_inline)) void
spmm4_avx512(const int NV, size_t n_oc, const float *restrict x, const float *restrict w,
             const int32_t *restrict off_bytes, const uint32_t *restrict nnz,
             float *restrict y, size_t y_stride_bytes, const sc_spmm_params *prm)
{
    const char *xb = (const char *)x;
    const __m512 lo = _mm512_set1_ps(prm->lo), hi = _mm512_set1_ps(prm->hi);
    for (size_t g = 0; g < n_oc; g += 4) {
        const uint32_t n = nnz[g];
        float *yg = (float *)((char *)y + g * y_stride_bytes);
        __m512 acc[4][4];
        SC_UNROLL for (int r = 0; r < 4; ++r) {
            const float *yr = (const float *)((const char *)yg + r * y_stride_bytes);
            if (prm->load_y) {
                SC_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_loadu_ps(yr + 16 * v);
            } else {
                const __m512 b = _mm512_set1_ps(w[r]);
                SC_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = b;
            }
        }
        const float *wv = w + 4;
        for (uint32_t j = 0; j < n; ++j, wv += 4) {
            const float *xj = (const float *)(xb + off_bytes[j]);
            __m512 xv[4];
            SC_UNROLL for (int v = 0; v < NV; ++v) xv[v] = _mm512_loadu_ps(xj + 16 * v);
            SC_UNROLL for (int r = 0; r < 4; ++r) {
                const __m512 b = _mm512_set1_ps(wv[r]);
                SC_UNROLL for (int v = 0; v < NV; ++v)
                    acc[r][v] = _mm512_fmadd_ps(b, xv[v], acc[r][v]);
            }
        }
        SC_UNROLL for (int r = 0; r < 4; ++r) {
            float *yr = (float *)((char *)yg + r * y_stride_bytes);
            SC_UNROLL for (int v = 0; v < NV; ++v) {
                if (prm->clamp)  /* accumulator second: kept when it is NaN */
                    acc[r][v] = _mm512_min_ps(hi, _mm512_max_ps(lo, acc[r][v]));
                _mm512_storeu_ps(yr + 16 * v, acc[r][v]);
            }
        }
        w += 4 + 4 * (size_t)n;
        off_bytes += n;
    }
}

#define SC_SPMM4_AVX512(MR)                                                               \
    void sc_spmm4_f32_##MR##__avx512(size_t mr, size_t n_oc, const float *restrict x,     \
                                     const float *restrict w, const int32_t *restrict off, \
                                     const uint32_t *restrict nnz, float *restrict y,     \
                                     size_t y_stride_bytes, const sc_spmm_params *prm)    \
    {                                                                                     \
        assert(mr == MR && n_oc % 4 == 0);                                                \
        (void)mr;                                                                         \
        spmm4_avx512(MR / 16, n_oc, x, w, off, nnz, y, y_stride_bytes, prm);              \
    }

SC_SPMM4_AVX512(64)
SC_SPMM4_AVX512(32)
SC_SPMM4_AVX512(16)

/* 1 <= mr <= 8 pixels, one k-masked ymm per channel: masked-out lanes are neither read nor
 * written (AVX-512 masked loads do not fault there). */
void sc_spmm4_f32_8__avx512(size_t mr, size_t n_oc, const float *restrict x,
                            const float *restrict w, const int32_t *restrict off_bytes,
                            const uint32_t *restrict nnz, float *restrict y,
                            size_t y_stride_bytes, const sc_spmm_params *prm)
{
    assert(mr >= 1 && mr <= 8 && n_oc % 4 == 0);
    const __mmask8 mask = (__mmask8)((1u << mr) - 1u);
    const char *xb = (const char *)x;
    const __m256 lo = _mm256_set1_ps(prm->lo), hi = _mm256_set1_ps(prm->hi);
    for (size_t g = 0; g < n_oc; g += 4) {
        const uint32_t n = nnz[g];
        __m256 acc[4];
        SC_UNROLL for (int r = 0; r < 4; ++r) {
            const float *yr = (const float *)((const char *)y + (g + r) * y_stride_bytes);
            acc[r] = prm->load_y ? _mm256_maskz_loadu_ps(mask, yr) : _mm256_set1_ps(w[r]);
        }
        const float *wv = w + 4;
        for (uint32_t j = 0; j < n; ++j, wv += 4) {
            const __m256 xv = _mm256_maskz_loadu_ps(mask, (const float *)(xb + off_bytes[j]));
            SC_UNROLL for (int r = 0; r < 4; ++r)
                acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(wv[r]), xv, acc[r]);
        }
        SC_UNROLL for (int r = 0; r < 4; ++r) {
            if (prm->clamp) acc[r] = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[r]));
            _mm256_mask_storeu_ps((float *)((char *)y + (g + r) * y_stride_bytes), mask, acc[r]);
        }
        w += 4 + 4 * (size_t)n;
        off_bytes += n;
    }
}
