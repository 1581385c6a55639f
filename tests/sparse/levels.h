/* tests/sparse/levels.h: the kernel feature sets a test may plan with on this CPU */
#ifndef SC_TESTS_SPARSE_LEVELS_H
#define SC_TESTS_SPARSE_LEVELS_H

#include <stdio.h>

#include "core/core.h"

/* portable, then AVX2 and AVX-512 where the hardware has them; the levels left out are
 * printed (not cr_log_warn: Criterion 2.4's runner exits 1 after any warning, so a test
 * would fail on every CPU without AVX-512) */
static inline int feature_levels(sc_cpu_set out[3])
{
    const sc_cpu_set hw = sc_cpu_features_hw();
    int n = 0;
    out[n++] = 0;
    if (sc_cpu_set_has(hw, SC_CPU_X86_AVX2)) out[n++] = SC_CPU_X86_AVX2;
    else printf("AVX2 plans skipped: the CPU lacks AVX2+FMA\n");
    if (sc_cpu_set_has(hw, SC_CPU_X86_AVX512)) out[n++] = SC_CPU_X86_AVX512;
    else printf("AVX-512 plans skipped: the CPU lacks AVX-512\n");
    return n;
}

#endif
