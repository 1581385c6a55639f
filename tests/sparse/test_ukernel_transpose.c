/* tests/sparse/test_ukernel_transpose.c: every transpose of transpose_list.inc against index arithmetic */
#include <criterion/criterion.h>
#include <stdio.h>

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
static int usable(const char *name, sc_cpu_set need)
{
    if (sc_cpu_set_has(sc_cpu_features_hw(), need)) return 1;
    printf("%s skipped: the CPU lacks its features\n", name);
    return 0;
}

Test(ukernel_transpose, every_8x8_kernel_matches_the_definition)
{
    int n = 0;
    for (const sc_transpose8_info *k = sc_transpose8_table; k->fn; ++k, ++n)
        if (usable(k->name, k->need)) check(k->fn, k->name);
    cr_expect_geq(n, 2, "the list holds the portable and the AVX2 kernel");
}

/* Strips of n 8x8 blocks from rows ss apart into runs ds apart, guard values around every
 * run, every n from 0 (nothing written) to 7: odd counts leave a single last block to the
 * kernels that take blocks in pairs. */
static void check_strip(sc_transpose8xn_fn fn, const char *name, size_t ss, size_t ds)
{
    enum { SMAX = 136, NMAX = 7 };
    static float src[8 * SMAX], dst[8 * (NMAX + 1) * SMAX];
    cr_assert(ss <= SMAX && ds <= SMAX && ss >= 8 * NMAX + 3 && ds >= 8);
    for (size_t i = 0; i < 8 * SMAX; ++i) src[i] = (float)(i + 1);
    for (size_t n = 0; n <= NMAX; ++n) {
        for (size_t i = 0; i < 8 * (NMAX + 1) * SMAX; ++i) dst[i] = -1.0f;
        fn(src + 3, ss, dst, ds, n);
        for (size_t c = 0; c < 8 * (NMAX + 1); ++c)  /* one block of guard runs after the last */
            for (size_t j = 0; j < ds; ++j) {
                const float want = c < 8 * n && j < 8 ? src[3 + j * ss + c] : -1.0f;
                cr_expect_eq(dst[c * ds + j], want,
                             "%s (strides %zu, %zu) n %zu: dst[%zu][%zu] = %g, expected %g", name,
                             ss, ds, n, c, j, (double)dst[c * ds + j], (double)want);
            }
    }
}

/* Kernels fixing no stride with wide and narrow ones; kernels fixing one (a tile row) with
 * that one and a narrow, a wide and an odd other stride. */
Test(ukernel_transpose, every_strip_kernel_matches_the_definition)
{
    int n = 0, fixed = 0, simd = 0;
    for (const sc_transpose8xn_info *k = sc_transpose8xn_table; k->fn; ++k, ++n) {
        if (!usable(k->name, k->need)) continue;
        simd += k->need != 0;
        cr_assert(k->src_stride == 0 || k->dst_stride == 0, "%s fixes both strides", k->name);
        if (k->src_stride == 0 && k->dst_stride == 0) {
            check_strip(k->fn, k->name, 61, 11);
            check_strip(k->fn, k->name, 133, 136);
            continue;
        }
        static const size_t other[] = {11, 61, 80, 133};
        for (size_t i = 0; i < 4; ++i) {
            if (k->src_stride)
                check_strip(k->fn, k->name, k->src_stride, other[i]);
            else if (other[i] >= 59)  /* as a source stride it must cover 7 blocks + offset */
                check_strip(k->fn, k->name, other[i], k->dst_stride);
        }
        ++fixed;
    }
    cr_expect_geq(n, 2, "the list holds the portable and the AVX2 kernel");
    cr_log_info("%d tile-stride strips checked, %d SIMD strips", fixed, simd);
}
