/* src/core/isa_cap.c: the SCONV_ISA cap on the CPU features the library's kernels use */
#include <stdlib.h>
#include <strings.h>

#include "core/core.h"

static const char *const names[] = {"portable", "avx2", "avx512"};  /* indexed by sc_isa */

const char *sc_isa_name(sc_isa isa)
{
    return (unsigned)isa <= SC_ISA_AVX512 ? names[isa] : "unknown";
}

sc_cpu_set sc_isa_features(sc_isa isa)
{
    switch (isa) {
    case SC_ISA_AVX2: return SC_CPU_X86_AVX2;
    case SC_ISA_AVX512: return SC_CPU_X86_AVX512;
    case SC_ISA_NONE: break;
    }
    return 0;
}

sc_isa sc_isa_of(sc_cpu_set set)
{
    for (int i = SC_ISA_AVX512; i > SC_ISA_NONE; --i)
        if (sc_cpu_set_has(set, sc_isa_features((sc_isa)i))) return (sc_isa)i;
    return SC_ISA_NONE;
}

sc_cpu_set sc_cpu_features_cap(const char *text, sc_cpu_set hw)
{
    for (int i = SC_ISA_NONE; text && i <= SC_ISA_AVX512; ++i)
        if (strcasecmp(text, names[i]) == 0) return hw & sc_isa_features((sc_isa)i);
    return hw;  /* unset or not a level: a typo must not disable the fast kernels */
}

sc_cpu_set sc_cpu_features(void)
{
    /* read once, like the CPU: every plan of the process sees the same features */
    static _Atomic int64_t set = -1;
    if (set < 0) set = (int64_t)sc_cpu_features_cap(getenv("SCONV_ISA"), sc_cpu_features_hw());
    return (sc_cpu_set)set;
}

sc_isa sc_isa_cap(const char *text, sc_isa hw)
{
    return sc_isa_of(sc_cpu_features_cap(text, sc_isa_features(hw)));
}

sc_isa sc_cpu_isa(void)
{
    return sc_isa_of(sc_cpu_features());
}

bool sc_cpu_has_avx2_fma(void)
{
    return sc_cpu_set_has(sc_cpu_features(), SC_CPU_X86_AVX2);
}

bool sc_cpu_has_avx512(void)
{
    return sc_cpu_set_has(sc_cpu_features(), SC_CPU_X86_AVX512);
}
