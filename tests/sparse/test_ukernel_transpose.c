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

/* Strips of n 8x8 blocks from rows src_stride apart into runs dst_stride apart, guard
 * values around every run, n = 0 (nothing written), 1, 2 and 5. */
static void check_strip(sc_transpose8xn_fn fn, const char *name)
{
    enum { SS = 45, DS = 11, NMAX = 5 };
    static float src[8 * SS], dst[8 * NMAX * DS];
    for (int i = 0; i < 8 * SS; ++i) src[i] = (float)(i + 1);
    static const size_t ns[] = {0, 1, 2, 5};
    for (size_t t = 0; t < 4; ++t) {
        const size_t n = ns[t];
        for (int i = 0; i < 8 * NMAX * DS; ++i) dst[i] = -1.0f;
        fn(src + 3, SS, dst, DS, n);
        for (size_t c = 0; c < 8 * NMAX; ++c)
            for (size_t j = 0; j < DS; ++j) {
                const float want = c < 8 * n && j < 8 ? src[3 + j * SS + c] : -1.0f;
                cr_expect_eq(dst[c * DS + j], want, "%s n %zu: dst[%zu][%zu] = %g, expected %g",
                             name, n, c, j, (double)dst[c * DS + j], (double)want);
            }
    }
}

Test(ukernel_transpose, strips_match_the_definition)
{
    check_strip(sc_transpose8xn_f32__ref, "transpose8xn_f32__ref");
    if (sc_isa_available(SC_ISA_AVX2))
        check_strip(sc_transpose8xn_f32__avx2, "transpose8xn_f32__avx2");
    else
        cr_log_warn("transpose8xn_f32__avx2 skipped: the CPU lacks AVX2");
}
