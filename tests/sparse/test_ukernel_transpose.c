/* tests/sparse/test_ukernel_transpose.c: the 8x8 transpose kernels against index arithmetic */
#include <criterion/criterion.h>

#include "core/core.h"
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

/* The kernels are called directly: every one the CPU runs is tested, whatever SCONV_ISA lets
 * the planner use. */
Test(ukernel_transpose, both_isas_match_the_definition)
{
    check(sc_transpose8_f32__ref, "transpose8_f32__ref");
    if (sc_cpu_isa_hw() >= SC_ISA_AVX2)
        check(sc_transpose8_f32__avx2, "transpose8_f32__avx2");
    else
        cr_log_warn("transpose8_f32__avx2 skipped: the CPU lacks AVX2");
}

/* Strips of n 8x8 blocks from rows ss apart into runs ds apart, guard values around every
 * run, n = 0 (nothing written), 1, 2 and 5. */
static void check_strip(sc_transpose8xn_fn fn, const char *name, size_t ss, size_t ds)
{
    enum { SMAX = 80, NMAX = 5 };
    static float src[8 * SMAX], dst[8 * NMAX * SMAX];
    cr_assert(ss <= SMAX && ds <= SMAX && ss >= 8 * NMAX + 3 && ds >= 8);
    for (size_t i = 0; i < 8 * SMAX; ++i) src[i] = (float)(i + 1);
    static const size_t ns[] = {0, 1, 2, 5};
    for (size_t t = 0; t < 4; ++t) {
        const size_t n = ns[t];
        for (size_t i = 0; i < 8 * NMAX * SMAX; ++i) dst[i] = -1.0f;
        fn(src + 3, ss, dst, ds, n);
        for (size_t c = 0; c < 8 * NMAX; ++c)
            for (size_t j = 0; j < ds; ++j) {
                const float want = c < 8 * n && j < 8 ? src[3 + j * ss + c] : -1.0f;
                cr_expect_eq(dst[c * ds + j], want,
                             "%s (strides %zu, %zu) n %zu: dst[%zu][%zu] = %g, expected %g", name,
                             ss, ds, n, c, j, (double)dst[c * ds + j], (double)want);
            }
    }
}

Test(ukernel_transpose, strips_match_the_definition)
{
    check_strip(sc_transpose8xn_f32__ref, "transpose8xn_f32__ref", 45, 11);
    if (sc_cpu_isa_hw() >= SC_ISA_AVX2)
        check_strip(sc_transpose8xn_f32__avx2, "transpose8xn_f32__avx2", 45, 11);
    else
        cr_log_warn("transpose8xn_f32__avx2 skipped: the CPU lacks AVX2");
}

/* The tile-stride strips: the stride they fix at 64 or 72, the other one free (a wide and
 * a narrow one). */
Test(ukernel_transpose, tile_stride_strips_match_the_definition)
{
    if (sc_cpu_isa_hw() < SC_ISA_AVX2) {
        cr_log_warn("tile-stride strips skipped: the CPU lacks AVX2");
        return;
    }
    static const size_t other[] = {11, 45, 80};
    for (size_t k = 0; k < 3; ++k) {
        if (other[k] >= 43) {  /* as a source stride it must cover 5 blocks + the offset */
            check_strip(sc_transpose8xn_f32_to64__avx2, "transpose8xn_f32_to64__avx2", other[k], 64);
            check_strip(sc_transpose8xn_f32_to72__avx2, "transpose8xn_f32_to72__avx2", other[k], 72);
        }
        check_strip(sc_transpose8xn_f32_from64__avx2, "transpose8xn_f32_from64__avx2", 64, other[k]);
        check_strip(sc_transpose8xn_f32_from72__avx2, "transpose8xn_f32_from72__avx2", 72, other[k]);
    }
}
