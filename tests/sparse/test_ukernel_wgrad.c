/* tests/sparse/test_ukernel_wgrad.c: every weight-gradient dot of weight_grad_list.inc against a double-precision oracle */
#include <criterion/criterion.h>
#include <stdio.h>
#include <math.h>

#include "common/rng.h"
#include "sparse/weight_grad_kernels.h"

/* Every pixel count around the 8- and 16-wide steps, nonzero counts around the 4-wide
 * groups (0 included), offsets in any order: each sum within float rounding of the double
 * one. Kernels the CPU lacks are skipped (whatever SCONV_ISA says: they are called directly). */
Test(ukernel_wgrad, every_dot_matches_the_definition)
{
    enum { PMAX = 70, NZMAX = 9, XF = 12 * PMAX };
    static float y[PMAX], x[XF], sums[NZMAX];
    static int64_t off[NZMAX];
    ct_rng r = {77};
    for (int i = 0; i < XF; ++i) x[i] = ct_float(&r);
    for (int i = 0; i < PMAX; ++i) y[i] = x[(i * 7) % XF] * 0.5f + 0.25f;
    int tested = 0;
    for (const sc_wgrad_dot_info *k = sc_wgrad_dot_table; k->fn; ++k) {
        if (!sc_cpu_set_has(sc_cpu_features_hw(), k->need)) {
            printf("%s skipped: the CPU lacks its features\n", k->name);
            continue;
        }
        static const size_t ms[] = {1, 7, 8, 9, 15, 16, 17, 31, 33, 64, 70};
        static const size_t nzs[] = {0, 1, 3, 4, 5, 9};
        for (size_t a = 0; a < sizeof ms / sizeof ms[0]; ++a)
            for (size_t b = 0; b < sizeof nzs / sizeof nzs[0]; ++b) {
                const size_t m = ms[a], nz = nzs[b];
                for (size_t j = 0; j < nz; ++j) off[j] = (int64_t)(((j * 5 + 3) % 11) * PMAX + j);
                for (size_t j = 0; j < NZMAX; ++j) sums[j] = -7.0f;
                k->fn(m, nz, y, x, off, sums);
                for (size_t j = 0; j < NZMAX; ++j) {
                    double ref = 0, mag = 0;
                    for (size_t p = 0; j < nz && p < m; ++p) {
                        ref += (double)y[p] * x[off[j] + (int64_t)p];
                        mag += fabs((double)y[p] * x[off[j] + (int64_t)p]);
                    }
                    if (j >= nz) ref = -7.0;  /* untouched */
                    cr_expect(fabs(sums[j] - ref) <= 4 * (double)m * 1.2e-7 * mag + 1e-30,
                              "%s m %zu nnz %zu sums[%zu] = %.9g, expected %.9g", k->name, m,
                              nz, j, (double)sums[j], ref);
                }
            }
        ++tested;
    }
    cr_expect_geq(tested, 1);
}
