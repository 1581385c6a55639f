/* src/sparse/ukernels/deinterleave_f32_avx2.c: stride-2 row deinterleave in ymm registers (in-lane shuffles, one cross-lane permute) */
#include <assert.h>
#include <immintrin.h>

#include "sparse/ukernels/deinterleave.h"

/* 16 floats a, b -> their even and odd elements in order: the in-lane shuffles leave
 * (a0 a2 b0 b2 | a4 a6 b4 b6), the 64-bit permute puts the pairs in place. */
static inline __attribute__((always_inline)) void split(__m256 a, __m256 b, __m256 *even,
                                                        __m256 *odd)
{
    *even = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
    *odd = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}

/* Lanes i < count set (count may be <= 0 or >= 8). */
static inline __attribute__((always_inline)) __m256i first(long count)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const int c = count < 0 ? 0 : count > 8 ? 8 : (int)count;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), idx);
}

/* The main loop reads 16 whole floats while they lie within the len = (n-1)*2 + np the
 * contract allows; the last group (fewer than 16 floats) goes through masked loads, which
 * never touch a float whose mask lane is clear, and masked stores. */
void sc_deinterleave_f32_s2__avx2(const float *src, size_t n, size_t s, size_t np,
                                  float *const dst[])
{
    assert(s == 2 && np >= 1 && np <= 2);
    (void)s;
    if (n == 0) return;
    const size_t len = 2 * (n - 1) + np;
    float *d0 = dst[0], *d1 = np == 2 ? dst[1] : NULL;
    size_t k = 0;
    __m256 even, odd;
    if (d1) {
        for (; 2 * k + 16 <= len; k += 8) {
            split(_mm256_loadu_ps(src + 2 * k), _mm256_loadu_ps(src + 2 * k + 8), &even, &odd);
            _mm256_storeu_ps(d0 + k, even);
            _mm256_storeu_ps(d1 + k, odd);
        }
    } else {
        for (; 2 * k + 16 <= len; k += 8) {
            split(_mm256_loadu_ps(src + 2 * k), _mm256_loadu_ps(src + 2 * k + 8), &even, &odd);
            _mm256_storeu_ps(d0 + k, even);
        }
    }
    if (k == n) return;
    const long avail = (long)(len - 2 * k), r = (long)(n - k);  /* avail < 16, r <= 8 */
    split(_mm256_maskload_ps(src + 2 * k, first(avail)),
          _mm256_maskload_ps(src + 2 * k + 8, first(avail - 8)), &even, &odd);
    _mm256_maskstore_ps(d0 + k, first(r), even);
    if (d1) _mm256_maskstore_ps(d1 + k, first(r), odd);
}
