/* src/core/isa_cap.c: the SCONV_ISA cap on the instruction sets the library's kernels use */
#include <stdlib.h>
#include <strings.h>

#include "core/core.h"

static const char *const names[] = {"portable", "avx2", "avx512"};  /* indexed by sc_isa */

const char *sc_isa_name(sc_isa isa)
{
    return (unsigned)isa <= SC_ISA_AVX512 ? names[isa] : "unknown";
}

sc_isa sc_isa_cap(const char *text, sc_isa hw)
{
    for (int i = SC_ISA_NONE; text && i <= SC_ISA_AVX512; ++i)
        if (strcasecmp(text, names[i]) == 0) return (sc_isa)i < hw ? (sc_isa)i : hw;
    return hw;  /* unset or not a level: a typo must not disable the fast kernels */
}

sc_isa sc_cpu_isa(void)
{
    /* read once, like the CPU: every plan of the process sees the same level */
    static _Atomic int level = -1;
    if (level < 0) level = (int)sc_isa_cap(getenv("SCONV_ISA"), sc_cpu_isa_hw());
    return (sc_isa)level;
}

bool sc_cpu_has_avx2_fma(void)
{
    return sc_cpu_isa() >= SC_ISA_AVX2;
}

bool sc_cpu_has_avx512(void)
{
    return sc_cpu_isa() >= SC_ISA_AVX512;
}
