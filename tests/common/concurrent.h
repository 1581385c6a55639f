/* tests/common/concurrent.h: one planned operator run from two threads at once */
#ifndef TESTS_COMMON_CONCURRENT_H
#define TESTS_COMMON_CONCURRENT_H

#include <stdint.h>

#include "sconv.h"

/* Run the planned op on x[0] and x[1] one after the other, then from two threads at once, 20
 * times each (thread k on x[k]), into output buffers of ylen floats: every run must return
 * SC_OK and each concurrent result equal the sequential one bitwise. Failures are reported
 * with what; returns their count. */
int ct_expect_concurrent_runs(const sc_conv *op, const float *const x[2], int64_t ylen,
                              const char *what);

#endif
