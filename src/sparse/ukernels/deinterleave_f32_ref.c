/* src/sparse/ukernels/deinterleave_f32_ref.c: portable twin of the row deinterleaves, any stride */
#include <assert.h>

#include "sparse/ukernels/deinterleave.h"

/* One and two phases (strided 1x1 gathers, 3x3/2 and 7x7/2 rows) get loops of their own: a
 * load and a store per float, as the element-by-element packing had. */
void sc_deinterleave_f32__ref(const float *src, size_t n, size_t s, size_t np,
                              float *const dst[])
{
    assert(np >= 1 && np <= s);
    if (np == 1) {
        float *d0 = dst[0];
        for (size_t k = 0; k < n; ++k, src += s) d0[k] = src[0];
    } else if (np == 2) {
        float *d0 = dst[0], *d1 = dst[1];
        for (size_t k = 0; k < n; ++k, src += s) {
            d0[k] = src[0];
            d1[k] = src[1];
        }
    } else {
        for (size_t k = 0; k < n; ++k, src += s)
            for (size_t p = 0; p < np; ++p) dst[p][k] = src[p];
    }
}
