/* src/op/kernel_choice.c: a kernel choice checked against the CPU and SCONV_ISA, as an ISA */
#include "op/kernel_choice.h"

#include "core/core.h"

sc_status sc_kernel_choice_check(const char *who, sc_kernel_choice k)
{
    if ((unsigned)k > SC_KERNEL_AVX512)
        return sc_fail(SC_EINVAL, "%s: kernel choice %d: expected auto, portable, avx2 or "
                       "avx512", who, (int)k);
    const sc_isa want = k == SC_KERNEL_AVX512 ? SC_ISA_AVX512
                      : k == SC_KERNEL_AVX2   ? SC_ISA_AVX2
                                              : SC_ISA_NONE;
    if (sc_isa_available(want)) return SC_OK;
    if (sc_cpu_isa_hw() >= want)  /* the CPU has it: the environment's cap refuses it */
        return sc_fail(SC_EUNSUPPORTED, "%s: kernel %s requested, but SCONV_ISA limits the "
                       "library to %s", who, sc_isa_name(want), sc_isa_name(sc_cpu_isa()));
    if (want == SC_ISA_AVX2)
        return sc_fail(SC_EUNSUPPORTED, "%s: kernel avx2 requested, but this CPU lacks AVX2 or "
                       "FMA", who);
    return sc_fail(SC_EUNSUPPORTED, "%s: kernel avx512 requested, but this CPU lacks "
                   "AVX-512 F/BW/DQ/VL (or AVX2 and FMA)", who);
}

sc_isa sc_kernel_isa(sc_kernel_choice k)
{
    switch (k) {
    case SC_KERNEL_PORTABLE: return SC_ISA_NONE;
    case SC_KERNEL_AVX2: return SC_ISA_AVX2;
    case SC_KERNEL_AVX512: return SC_ISA_AVX512;
    case SC_KERNEL_AUTO: break;
    }
    return sc_cpu_isa();
}
