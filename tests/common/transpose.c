/* tests/common/transpose.c: numpy.transpose of a 4-D array, the independent layout oracle */
#include "common/transpose.h"

void ct_transpose4(const float *a, const int64_t shape[4], const int perm[4], float *out)
{
    const int64_t istride[4] = {shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1};
    int64_t oshape[4], o[4], idx = 0;
    for (int d = 0; d < 4; ++d) oshape[d] = shape[perm[d]];
    for (o[0] = 0; o[0] < oshape[0]; ++o[0])
        for (o[1] = 0; o[1] < oshape[1]; ++o[1])
            for (o[2] = 0; o[2] < oshape[2]; ++o[2])
                for (o[3] = 0; o[3] < oshape[3]; ++o[3]) {
                    int64_t src = 0;
                    for (int d = 0; d < 4; ++d) src += o[d] * istride[perm[d]];
                    out[idx++] = a[src];
                }
}
