/* src/sparse/ukernels/spmm_f32_avx2.c: AVX2+FMA SpMM kernels, 8/4/2/1 ymm accumulators per channel */
#include <assert.h>
#include <immintrin.h>

#include "sparse/ukernels/spmm.h"

/* Full unrolling over the accumulators keeps them in registers (GCC -O2 does not by itself). */
#define SC_UNROLL _Pragma("GCC unroll 16")

/* One template for every tile width: NV ymm accumulators (8 pixels each) per channel,
 * one weight splat + NV loads + NV FMAs per nonzero (8 accumulators hide the FMA latency
 * on 2 pipes). The nonzero loop is unrolled by eight, then steps of 4, 2 and 1, every
 * FMA chain kept in the same accumulators, so the j order is unchanged; the unroll halves
 * the loop and address overhead per nonzero (docs/kernels.md, "One kernel family for
 * every case"). MASK_LAST: the last accumulator covers mr - 8*(NV-1) pixels through
 * masked loads and stores (the 72-wide kernel for tiles of 65..72 pixels). */
static inline __attribute__((always_inline)) void
spmm_avx2(const int NV, const int MASK_LAST, size_t mr, size_t n_oc, const float *restrict x,
          const float *restrict w, const int32_t *restrict off_bytes,
          const uint32_t *restrict nnz, float *restrict y, size_t y_stride_bytes,
          const sc_spmm_params *prm)
{
    const char *xb = (const char *)x;
    const __m256 lo = _mm256_set1_ps(prm->lo), hi = _mm256_set1_ps(prm->hi);
    const int L = NV - 1;
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)mr - 8 * L),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#define SC_XLOAD(p, v) \
    (MASK_LAST && (v) == L ? _mm256_maskload_ps((p) + 8 * (v), tail) : _mm256_loadu_ps((p) + 8 * (v)))
    for (size_t o = 0; o < n_oc; ++o) {
        float *yo = (float *)((char *)y + o * y_stride_bytes);
        __m256 acc[9];
        if (prm->load_y) {
            SC_UNROLL for (int v = 0; v < NV; ++v) acc[v] = SC_XLOAD(yo, v);
        } else {
            const __m256 b = _mm256_broadcast_ss(w);
            SC_UNROLL for (int v = 0; v < NV; ++v) acc[v] = b;
        }
        ++w;
        /* The nonzeros in j order, NV FMAs each into the same accumulators. Steps of 4
         * and 8 load their weights 4 at a time into both lanes and splat each with an
         * in-lane permute: 1 load per 4 nonzeros instead of 4 broadcasts, which pays
         * because the kernel is bound by its vector loads (NV + 1 per nonzero on 2 ports
         * against NV FMAs on 2 pipes) and the permutes run on a pipe FMAs do not use
         * (docs/kernels.md, "One kernel family for every case"). The permute immediates
         * are literals: clang wants constants there before unrolling. */
#define SC_NONZERO(wu, u)                                                                 \
    do {                                                                                  \
        const __m256 wv = (wu);                                                           \
        const float *xu = (const float *)(xb + off_bytes[u]);                             \
        SC_UNROLL for (int v = 0; v < NV; ++v)                                            \
            acc[v] = _mm256_fmadd_ps(wv, SC_XLOAD(xu, v), acc[v]);                        \
    } while (0)
#define SC_QUAD(k)                                                                        \
    do {                                                                                  \
        const __m256 w4 = _mm256_broadcast_ps((const __m128 *)(w + (k)));                 \
        SC_NONZERO(_mm256_permute_ps(w4, 0x00), (k));                                     \
        SC_NONZERO(_mm256_permute_ps(w4, 0x55), (k) + 1);                                 \
        SC_NONZERO(_mm256_permute_ps(w4, 0xAA), (k) + 2);                                 \
        SC_NONZERO(_mm256_permute_ps(w4, 0xFF), (k) + 3);                                 \
    } while (0)
        const uint32_t n = nnz[o];
        uint32_t j = 0;
        for (; j + 8 <= n; j += 8, w += 8, off_bytes += 8) {
            SC_QUAD(0);
            SC_QUAD(4);
        }
        if (n - j >= 4) {
            SC_QUAD(0);
            j += 4;
            w += 4;
            off_bytes += 4;
        }
        if (n - j >= 2) {
            SC_NONZERO(_mm256_broadcast_ss(w), 0);
            SC_NONZERO(_mm256_broadcast_ss(w + 1), 1);
            j += 2;
            w += 2;
            off_bytes += 2;
        }
        if (j < n) {
            SC_NONZERO(_mm256_broadcast_ss(w), 0);
            ++w;
            ++off_bytes;
        }
#undef SC_QUAD
#undef SC_NONZERO
        if (prm->clamp)  /* accumulator second: max/min return it when it is NaN */
            SC_UNROLL for (int v = 0; v < NV; ++v)
                acc[v] = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[v]));
        SC_UNROLL for (int v = 0; v < NV; ++v) {
            if (MASK_LAST && v == L)
                _mm256_maskstore_ps(yo + 8 * v, tail, acc[v]);
            else
                _mm256_storeu_ps(yo + 8 * v, acc[v]);
        }
    }
#undef SC_XLOAD
}

#define SC_SPMM_AVX2(MR)                                                                  \
    void sc_spmm_f32_##MR##__avx2(size_t mr, size_t n_oc, const float *restrict x,        \
                                  const float *restrict w, const int32_t *restrict off,   \
                                  const uint32_t *restrict nnz, float *restrict y,        \
                                  size_t y_stride_bytes, const sc_spmm_params *prm)       \
    {                                                                                     \
        assert(mr == MR);                                                                 \
        spmm_avx2(MR / 8, 0, mr, n_oc, x, w, off, nnz, y, y_stride_bytes, prm);           \
    }

SC_SPMM_AVX2(64)
SC_SPMM_AVX2(32)
SC_SPMM_AVX2(16)
SC_SPMM_AVX2(56)  /* a 7x7 image's 49 pixels: 7 accumulators instead of 8 */

/* 65 <= mr <= 72: a last tile of 64 pixels plus a short rest (14x14 = 3 x 64 + 4) in one
 * call. The rest would otherwise take the masked 8-wide kernel, whose broadcast, offset
 * and loop cost per nonzero buys one FMA (docs/kernels.md, "One kernel family for every
 * case"). */
void sc_spmm_f32_72__avx2(size_t mr, size_t n_oc, const float *restrict x,
                          const float *restrict w, const int32_t *restrict off,
                          const uint32_t *restrict nnz, float *restrict y, size_t y_stride_bytes,
                          const sc_spmm_params *prm)
{
    assert(mr > 64 && mr <= 72);
    spmm_avx2(9, 1, mr, n_oc, x, w, off, nnz, y, y_stride_bytes, prm);
}

/* 1 <= mr <= 8 pixels in one masked ymm: masked-out lanes are neither read nor written. */
void sc_spmm_f32_8__avx2(size_t mr, size_t n_oc, const float *restrict x,
                         const float *restrict w, const int32_t *restrict off_bytes,
                         const uint32_t *restrict nnz, float *restrict y,
                         size_t y_stride_bytes, const sc_spmm_params *prm)
{
    assert(mr >= 1 && mr <= 8);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)mr), lane);
    const char *xb = (const char *)x;
    const __m256 lo = _mm256_set1_ps(prm->lo), hi = _mm256_set1_ps(prm->hi);
    for (size_t o = 0; o < n_oc; ++o) {
        float *yo = (float *)((char *)y + o * y_stride_bytes);
        __m256 acc = prm->load_y ? _mm256_maskload_ps(yo, mask) : _mm256_broadcast_ss(w);
        ++w;
        for (uint32_t j = 0; j < nnz[o]; ++j) {
            const float *xj = (const float *)(xb + *off_bytes++);
            acc = _mm256_fmadd_ps(_mm256_broadcast_ss(w++), _mm256_maskload_ps(xj, mask), acc);
        }
        if (prm->clamp) acc = _mm256_min_ps(hi, _mm256_max_ps(lo, acc));
        _mm256_maskstore_ps(yo, mask, acc);
    }
}
