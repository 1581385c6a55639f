/* tests/common/transpose.h: numpy.transpose of a 4-D array, the independent layout oracle */
#ifndef TESTS_COMMON_TRANSPOSE_H
#define TESTS_COMMON_TRANSPOSE_H

#include <stdint.h>

/* out = numpy.transpose(a, perm) for a C-ordered array of the given shape, written with
 * explicit index loops (independent of sc_weights_convert and the tensor descriptors). */
void ct_transpose4(const float *a, const int64_t shape[4], const int perm[4], float *out);

#endif
