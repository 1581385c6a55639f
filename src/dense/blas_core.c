/* src/dense/blas_core.c: which kernels OpenBLAS chose for this CPU, and the fix when they waste it */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "sconv/dense.h"

char *openblas_get_corename(void);

/* OpenBLAS built with DYNAMIC_ARCH picks its kernels once, when it is loaded, from the CPU
 * model. A release older than the CPU does not know the model and falls back to generic
 * SSE3 kernels ("Prescott"), several times slower than its AVX2/AVX-512 ones
 * (docs/kernels.md, "OpenBLAS on a CPU it does not know"). The cores listed here use AVX2
 * and FMA; on a CPU with both, any other choice is such a fallback. */
static const char *const avx2_cores[] = {"Haswell", "SkylakeX", "Cooperlake", "SapphireRapids",
                                         "Zen", "Excavator"};

const char *sc_blas_core(void)
{
    const char *name = openblas_get_corename();
    return name ? name : "unknown";
}

const char *sc_blas_core_suggestion(void)
{
    if (!sc_cpu_has_avx2_fma()) return NULL;
    const char *core = sc_blas_core();
    for (size_t i = 0; i < sizeof avx2_cores / sizeof avx2_cores[0]; ++i)
        if (strcmp(core, avx2_cores[i]) == 0) return NULL;
    /* OpenBLAS's SkylakeX kernels need AVX-512 F, BW, DQ and VL; Haswell's AVX2 + FMA. */
    return sc_cpu_has_avx512() ? "SkylakeX" : "Haswell";
}

void sc_blas_fix_core(char **argv)
{
    const char *core = sc_blas_core_suggestion();
    if (!core || getenv("OPENBLAS_CORETYPE") || !argv || !argv[0]) return;
    /* SCONV_BLAS_CORE_WAS tells the new image (and its reports) what OpenBLAS chose. */
    if (setenv("SCONV_BLAS_CORE_WAS", sc_blas_core(), 1) != 0 ||
        setenv("OPENBLAS_CORETYPE", core, 1) != 0)
        return;
    /* The new image loads OpenBLAS again and reads the variable; the arguments are ours. */
    execv("/proc/self/exe", argv);
    fprintf(stderr, "sconv: OpenBLAS runs generic %s kernels on this CPU and re-running with "
                    "OPENBLAS_CORETYPE=%s failed (%s); the dense path will be slow\n",
            sc_blas_core(), core, strerror(errno));
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv("SCONV_BLAS_CORE_WAS");
}
