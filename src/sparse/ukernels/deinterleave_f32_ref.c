/* src/sparse/ukernels/deinterleave_f32_ref.c: portable twin of the row deinterleaves, any stride */
#include <assert.h>

#include "sparse/ukernels/deinterleave.h"

void sc_deinterleave_f32__ref(const float *src, size_t n, size_t s, size_t np,
                              float *const dst[])
{
    assert(np >= 1 && np <= s);
    for (size_t k = 0; k < n; ++k)
        for (size_t p = 0; p < np; ++p) dst[p][k] = src[k * s + p];
}
