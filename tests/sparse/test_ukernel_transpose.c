/* tests/sparse/test_ukernel_transpose.c: the 8x8 transpose kernels against index arithmetic */
#include <criterion/criterion.h>

#include "sparse/ukernels/spmm.h"
#include "sparse/ukernels/transpose.h"

static void check(sc_transpose8_fn fn, const char *name)
{
    /* rows scattered in a larger buffer, output with a wide stride and guard values */
    static float buf[8 * 37], out[8 * 13];
    const float *rows[8];
    for (int i = 0; i < 8 * 37; ++i) buf[i] = (float)i;
    for (int k = 0; k < 8; ++k) rows[k] = buf + (7 - k) * 37 + (k % 3);
    for (int i = 0; i < 8 * 13; ++i) out[i] = -1.0f;
    fn(rows, out, 13);
    for (int l = 0; l < 8; ++l)
        for (int j = 0; j < 13; ++j) {
            const float want = j < 8 ? rows[j][l] : -1.0f;
            cr_expect_eq(out[l * 13 + j], want, "%s: out[%d][%d] = %g, expected %g", name, l, j,
                         (double)out[l * 13 + j], (double)want);
        }
}

Test(ukernel_transpose, both_isas_match_the_definition)
{
    check(sc_transpose8_f32__ref, "transpose8_f32__ref");
    if (sc_isa_available(SC_ISA_AVX2))
        check(sc_transpose8_f32__avx2, "transpose8_f32__avx2");
    else
        cr_log_warn("transpose8_f32__avx2 skipped: the CPU lacks AVX2");
}
