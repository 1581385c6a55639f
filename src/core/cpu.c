/* src/core/cpu.c: the CPU's features (a bit set) and L1/L2 cache sizes, detected once */
#include <unistd.h>

#include "core/core.h"

#if defined(__x86_64__) || defined(__i386__)
static sc_cpu_set detect_features(void)
{
    __builtin_cpu_init();
    sc_cpu_set set = 0;  /* __builtin_cpu_supports takes a literal: one test per bit */
    if (__builtin_cpu_supports("avx2")) set |= SC_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) set |= SC_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) set |= SC_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bw")) set |= SC_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512dq")) set |= SC_CPU_AVX512DQ;
    if (__builtin_cpu_supports("avx512vl")) set |= SC_CPU_AVX512VL;
    return set;
}
#else
static sc_cpu_set detect_features(void) { return 0; }
#endif

sc_cpu_set sc_cpu_features_hw(void)
{
    /* every thread computes the same value, so a racy first call only repeats the work */
    static _Atomic int64_t set = -1;
    if (set < 0) set = (int64_t)detect_features();
    return (sc_cpu_set)set;
}

sc_isa sc_cpu_isa_hw(void)
{
    return sc_isa_of(sc_cpu_features_hw());
}

int64_t sc_cpu_l1d_bytes(void)
{
    /* the same value on every thread: a racy first call only repeats the query */
    static _Atomic int64_t bytes = -1;
    if (bytes < 0) {
        const long v = sysconf(_SC_LEVEL1_DCACHE_SIZE);  /* glibc: cpuid; 0 or -1 unknown */
        bytes = v >= 4096 && v <= (1L << 24) ? (int64_t)v : 32768;
    }
    return bytes;
}

int64_t sc_cpu_l2_bytes(void)
{
    static _Atomic int64_t bytes = -1;
    if (bytes < 0) {
        const long v = sysconf(_SC_LEVEL2_CACHE_SIZE);
        bytes = v >= 65536 && v <= (1L << 28) ? (int64_t)v : 524288;
    }
    return bytes;
}
