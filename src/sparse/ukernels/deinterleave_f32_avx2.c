/* src/sparse/ukernels/deinterleave_f32_avx2.c: stride-2 row deinterleave in ymm registers (in-lane shuffles, one cross-lane permute) */
#include <assert.h>
#include <immintrin.h>
#include <stdint.h>

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

/* Lanes i < count set, for count in [-8, 16]: 8 entries of a table of 16 set then 16 clear
 * (one load instead of a compare against a broadcast count). */
static inline __attribute__((always_inline)) __m256i first(long count)
{
    static const int32_t lanes[32] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                      -1, -1};
    return _mm256_loadu_si256((const __m256i *)(const void *)(lanes + 16 - count));
}

/* The main loop reads 16 whole floats while they lie within the len = (n-1)*2 + np the
 * contract allows. The rest: with n >= 8, the last 8 groups once more (rewriting a few
 * outputs with the same values); else masked loads, which never touch a float whose mask
 * lane is clear, and masked stores. */
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
        if (k < n && n >= 8) {  /* both phases: the last 8 groups again, overlapping */
            k = n - 8;
            split(_mm256_loadu_ps(src + 2 * k), _mm256_loadu_ps(src + 2 * k + 8), &even, &odd);
            _mm256_storeu_ps(d0 + k, even);
            _mm256_storeu_ps(d1 + k, odd);
            return;
        }
    } else {
        for (; 2 * k + 16 <= len; k += 8) {
            split(_mm256_loadu_ps(src + 2 * k), _mm256_loadu_ps(src + 2 * k + 8), &even, &odd);
            _mm256_storeu_ps(d0 + k, even);
        }
        if (k < n && n >= 8) {
            /* phase 0 only: the last 8 groups again, the high half loaded one float early
             * (its last float is the row's last); its evens sit at odd positions there */
            k = n - 8;
            const __m256 a = _mm256_loadu_ps(src + 2 * k), b = _mm256_loadu_ps(src + 2 * k + 7);
            _mm256_storeu_ps(d0 + k, _mm256_castpd_ps(_mm256_permute4x64_pd(
                                         _mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xD8)), 0xD8)));
            return;
        }
    }
    if (k == n) return;
    const long avail = (long)(len - 2 * k), r = (long)(n - k);  /* avail < 16, r <= 8 */
    split(_mm256_maskload_ps(src + 2 * k, first(avail)),
          _mm256_maskload_ps(src + 2 * k + 8, first(avail - 8)), &even, &odd);
    _mm256_maskstore_ps(d0 + k, first(r), even);
    if (d1) _mm256_maskstore_ps(d1 + k, first(r), odd);
}
