/* src/sparse/kernel_choice.c: a kernel choice option checked against the CPU and turned into an ISA */
#include "sparse/kernel_choice.h"

#include "core/core.h"

sc_status sc_kernel_choice_check(const char *who, sc_kernel_choice k)
{
    if ((unsigned)k > SC_KERNEL_AVX512)
        return sc_fail(SC_EINVAL, "%s: kernel choice %d: expected auto, portable, avx2 or "
                       "avx512", who, (int)k);
    if (k == SC_KERNEL_AVX2 && !sc_isa_available(SC_ISA_AVX2))
        return sc_fail(SC_EUNSUPPORTED, "%s: kernel avx2 requested, but this CPU lacks AVX2 or "
                       "FMA", who);
    if (k == SC_KERNEL_AVX512 && !sc_isa_available(SC_ISA_AVX512))
        return sc_fail(SC_EUNSUPPORTED, "%s: kernel avx512 requested, but this CPU lacks "
                       "AVX-512 F/BW/DQ/VL (or AVX2 and FMA)", who);
    return SC_OK;
}

sc_isa sc_kernel_isa(sc_kernel_choice k)
{
    switch (k) {
    case SC_KERNEL_PORTABLE: return SC_ISA_NONE;
    case SC_KERNEL_AVX2: return SC_ISA_AVX2;
    case SC_KERNEL_AVX512: return SC_ISA_AVX512;
    case SC_KERNEL_AUTO: break;
    }
    return sc_isa_available(SC_ISA_AVX512) ? SC_ISA_AVX512
         : sc_isa_available(SC_ISA_AVX2)   ? SC_ISA_AVX2
                                           : SC_ISA_NONE;
}
