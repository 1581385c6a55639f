/* src/sparse/ukernels/deinterleave_f32_avx512.c: stride-2 row deinterleave in zmm registers (one two-source permute per phase) */
#include <assert.h>
#include <immintrin.h>

#include "sparse/ukernels/deinterleave.h"

/* Mask of the lanes i < count (count may be <= 0 or >= 16). */
static inline __attribute__((always_inline)) __mmask16 first(long count)
{
    return count <= 0 ? 0 : count >= 16 ? 0xFFFF : (__mmask16)((1u << count) - 1);
}

/* 32 floats a, b: vpermt2ps picks the even (odd) elements of both into one register. The
 * rest (fewer than 32 floats within len = (n-1)*2 + np): with both phases and n >= 16, the
 * last 16 groups once more; else masked loads, which never touch a float whose mask bit is
 * clear, and masked stores. */
void sc_deinterleave_f32_s2__avx512(const float *src, size_t n, size_t s, size_t np,
                                    float *const dst[])
{
    assert(s == 2 && np >= 1 && np <= 2);
    (void)s;
    if (n == 0) return;
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                         28, 30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27,
                                         29, 31);
    const size_t len = 2 * (n - 1) + np;
    float *d0 = dst[0], *d1 = np == 2 ? dst[1] : NULL;
    size_t k = 0;
    if (d1) {
        for (; 2 * k + 32 <= len; k += 16) {
            const __m512 a = _mm512_loadu_ps(src + 2 * k), b = _mm512_loadu_ps(src + 2 * k + 16);
            _mm512_storeu_ps(d0 + k, _mm512_permutex2var_ps(a, ie, b));
            _mm512_storeu_ps(d1 + k, _mm512_permutex2var_ps(a, io, b));
        }
        if (k < n && n >= 16) {  /* both phases: the last 16 groups again, overlapping */
            k = n - 16;
            const __m512 a = _mm512_loadu_ps(src + 2 * k), b = _mm512_loadu_ps(src + 2 * k + 16);
            _mm512_storeu_ps(d0 + k, _mm512_permutex2var_ps(a, ie, b));
            _mm512_storeu_ps(d1 + k, _mm512_permutex2var_ps(a, io, b));
            return;
        }
    } else {
        for (; 2 * k + 32 <= len; k += 16) {
            const __m512 a = _mm512_loadu_ps(src + 2 * k), b = _mm512_loadu_ps(src + 2 * k + 16);
            _mm512_storeu_ps(d0 + k, _mm512_permutex2var_ps(a, ie, b));
        }
    }
    if (k == n) return;
    const long avail = (long)(len - 2 * k), r = (long)(n - k);  /* avail < 32, r <= 16 */
    const __m512 a = _mm512_maskz_loadu_ps(first(avail), src + 2 * k);
    const __m512 b = _mm512_maskz_loadu_ps(first(avail - 16), src + 2 * k + 16);
    _mm512_mask_storeu_ps(d0 + k, first(r), _mm512_permutex2var_ps(a, ie, b));
    if (d1) _mm512_mask_storeu_ps(d1 + k, first(r), _mm512_permutex2var_ps(a, io, b));
}
