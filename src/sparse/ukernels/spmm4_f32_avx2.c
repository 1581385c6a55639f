/* src/sparse/ukernels/spmm4_f32_avx2.c: AVX2+FMA 4x1 block SpMM kernels: 4 channels share each input load */
#include <assert.h>
#include <immintrin.h>

#include "sparse/ukernels/spmm.h"

#define SC_UNROLL _Pragma("GCC unroll 8")

/* A group of 4 channels over 16 pixels at a time: 8 ymm accumulators (4 channels x 2), per
 * column 2 input loads shared by the 4 channels, 4 broadcasts and 8 FMAs (a row kernel
 * needs 8 loads + 1 broadcast per 8 FMAs). Per pixel the sum runs in column order. */
static inline __attribute__((always_inline)) void
spmm4_avx2(size_t mr, size_t n_oc, const float *restrict x, const float *restrict w,
           const int32_t *restrict off_bytes, const uint32_t *restrict nnz, float *restrict y,
           size_t y_stride_bytes, const sc_spmm_params *prm)
{
    const char *xb = (const char *)x;
    const __m256 lo = _mm256_set1_ps(prm->lo), hi = _mm256_set1_ps(prm->hi);
    for (size_t g = 0; g < n_oc; g += 4) {
        const uint32_t n = nnz[g];
        float *yg = (float *)((char *)y + g * y_stride_bytes);
        for (size_t p = 0; p < mr; p += 16) {
            __m256 acc[4][2];
            SC_UNROLL for (int r = 0; r < 4; ++r) {
                const float *yr = (const float *)((const char *)yg + r * y_stride_bytes) + p;
                if (prm->load_y) {
                    acc[r][0] = _mm256_loadu_ps(yr);
                    acc[r][1] = _mm256_loadu_ps(yr + 8);
                } else {
                    acc[r][0] = acc[r][1] = _mm256_broadcast_ss(w + r);
                }
            }
            const float *wv = w + 4;
            for (uint32_t j = 0; j < n; ++j, wv += 4) {
                const float *xj = (const float *)(xb + off_bytes[j]) + p;
                const __m256 x0 = _mm256_loadu_ps(xj), x1 = _mm256_loadu_ps(xj + 8);
                SC_UNROLL for (int r = 0; r < 4; ++r) {
                    const __m256 b = _mm256_broadcast_ss(wv + r);
                    acc[r][0] = _mm256_fmadd_ps(b, x0, acc[r][0]);
                    acc[r][1] = _mm256_fmadd_ps(b, x1, acc[r][1]);
                }
            }
            SC_UNROLL for (int r = 0; r < 4; ++r) {
                float *yr = (float *)((char *)yg + r * y_stride_bytes) + p;
                if (prm->clamp) {  /* accumulator second: kept when it is NaN */
                    acc[r][0] = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[r][0]));
                    acc[r][1] = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[r][1]));
                }
                _mm256_storeu_ps(yr, acc[r][0]);
                _mm256_storeu_ps(yr + 8, acc[r][1]);
            }
        }
        w += 4 + 4 * (size_t)n;
        off_bytes += n;
    }
}

#define SC_SPMM4_AVX2(MR)                                                                 \
    void sc_spmm4_f32_##MR##__avx2(size_t mr, size_t n_oc, const float *restrict x,       \
                                   const float *restrict w, const int32_t *restrict off,  \
                                   const uint32_t *restrict nnz, float *restrict y,       \
                                   size_t y_stride_bytes, const sc_spmm_params *prm)      \
    {                                                                                     \
        assert(mr == MR && n_oc % 4 == 0);                                                \
        (void)mr;                                                                         \
        spmm4_avx2(MR, n_oc, x, w, off, nnz, y, y_stride_bytes, prm);                     \
    }

SC_SPMM4_AVX2(64)
SC_SPMM4_AVX2(32)
SC_SPMM4_AVX2(16)

/* 1 <= mr <= 8 pixels, one masked ymm per channel: masked-out lanes are neither read nor
 * written. */
void sc_spmm4_f32_8__avx2(size_t mr, size_t n_oc, const float *restrict x,
                          const float *restrict w, const int32_t *restrict off_bytes,
                          const uint32_t *restrict nnz, float *restrict y,
                          size_t y_stride_bytes, const sc_spmm_params *prm)
{
    assert(mr >= 1 && mr <= 8 && n_oc % 4 == 0);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)mr), lane);
    const char *xb = (const char *)x;
    const __m256 lo = _mm256_set1_ps(prm->lo), hi = _mm256_set1_ps(prm->hi);
    for (size_t g = 0; g < n_oc; g += 4) {
        const uint32_t n = nnz[g];
        __m256 acc[4];
        SC_UNROLL for (int r = 0; r < 4; ++r) {
            const float *yr = (const float *)((const char *)y + (g + r) * y_stride_bytes);
            acc[r] = prm->load_y ? _mm256_maskload_ps(yr, mask) : _mm256_broadcast_ss(w + r);
        }
        const float *wv = w + 4;
        for (uint32_t j = 0; j < n; ++j, wv += 4) {
            const __m256 xv = _mm256_maskload_ps((const float *)(xb + off_bytes[j]), mask);
            SC_UNROLL for (int r = 0; r < 4; ++r)
                acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(wv + r), xv, acc[r]);
        }
        SC_UNROLL for (int r = 0; r < 4; ++r) {
            if (prm->clamp) acc[r] = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[r]));
            _mm256_maskstore_ps((float *)((char *)y + (g + r) * y_stride_bytes), mask, acc[r]);
        }
        w += 4 + 4 * (size_t)n;
        off_bytes += n;
    }
}
