/* src/core/cpu.c: CPU feature detection (AVX2 + FMA, AVX-512), done once */
#include "core/core.h"

bool sc_cpu_has_avx2_fma(void)
{
#if defined(__x86_64__) || defined(__i386__)
    static _Atomic int cached = -1;  /* every thread computes the same value */
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached != 0;
#else
    return false;
#endif
}

bool sc_cpu_has_avx512(void)
{
#if defined(__x86_64__) || defined(__i386__)
    static _Atomic int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    }
    return cached != 0;
#else
    return false;
#endif
}
