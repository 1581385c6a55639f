/* src/sparse/kernel_choice.c: a kernel choice checked against the CPU and SCONV_ISA, as a feature set */
#include "sparse/kernel_choice.h"

#include "core/core.h"

/* The level an explicit choice names (auto: none). */
static sc_isa named_level(sc_kernel_choice k)
{
    return k == SC_KERNEL_AVX512 ? SC_ISA_AVX512 : k == SC_KERNEL_AVX2 ? SC_ISA_AVX2 : SC_ISA_NONE;
}

sc_status sc_kernel_choice_check(const char *who, sc_kernel_choice k)
{
    if ((unsigned)k > SC_KERNEL_AVX512)
        return sc_fail(SC_EINVAL, "%s: kernel choice %d: expected auto, portable, avx2 or "
                       "avx512", who, (int)k);
    const sc_isa want = named_level(k);
    const sc_cpu_set need = sc_isa_features(want);
    if (sc_cpu_set_has(sc_cpu_features(), need)) return SC_OK;
    if (sc_cpu_set_has(sc_cpu_features_hw(), need))  /* the CPU has it: the cap refuses it */
        return sc_fail(SC_EUNSUPPORTED, "%s: kernel %s requested, but SCONV_ISA limits the "
                       "library to %s", who, sc_isa_name(want), sc_isa_name(sc_cpu_isa()));
    if (want == SC_ISA_AVX2)
        return sc_fail(SC_EUNSUPPORTED, "%s: kernel avx2 requested, but this CPU lacks AVX2 or "
                       "FMA", who);
    return sc_fail(SC_EUNSUPPORTED, "%s: kernel avx512 requested, but this CPU lacks "
                   "AVX-512 F/BW/DQ/VL (or AVX2 and FMA)", who);
}

sc_cpu_set sc_kernel_features(sc_kernel_choice k)
{
    return k == SC_KERNEL_AUTO ? sc_cpu_features() : sc_isa_features(named_level(k));
}

sc_isa sc_kernel_isa(sc_kernel_choice k)
{
    return sc_isa_of(sc_kernel_features(k));
}
