/* tests/common/concurrent.c: one planned operator run from two threads at once */
#include "common/concurrent.h"

#include <criterion/criterion.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

int ct_expect_concurrent_runs(const sc_conv *op, const float *const x[2], int64_t ylen,
                              const char *what)
{
    float *ys[2], *y[2];
    for (int k = 0; k < 2; ++k) {
        ys[k] = calloc((size_t)ylen, sizeof(float));
        y[k] = calloc((size_t)ylen, sizeof(float));
        cr_assert(ys[k] && y[k], "%s: out of memory", what);
        cr_assert_eq(sc_conv_run(op, x[k], ys[k]), SC_OK, "%s: sequential run %d: %s", what, k,
                     sc_last_message());
    }
    int st[2] = {-1, -1};
#pragma omp parallel num_threads(2)
    {
        const int k = omp_get_thread_num();
        for (int rep = 0; rep < 20; ++rep) st[k] = sc_conv_run(op, x[k], y[k]);
    }
    int failures = 0;
    for (int k = 0; k < 2; ++k) {
        const bool same = memcmp(y[k], ys[k], (size_t)ylen * sizeof(float)) == 0;
        cr_expect_eq(st[k], SC_OK, "%s: concurrent run %d returned %d", what, k, st[k]);
        cr_expect(same, "%s: concurrent run %d differs", what, k);
        failures += (st[k] != SC_OK) + !same;
        free(ys[k]);
        free(y[k]);
    }
    return failures;
}
