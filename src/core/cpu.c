/* src/core/cpu.c: the CPU's instruction-set level and L1/L2 cache sizes, detected once */
#include <unistd.h>

#include "core/core.h"

#if defined(__x86_64__) || defined(__i386__)
static sc_isa detect_isa(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return SC_ISA_NONE;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return SC_ISA_AVX512;
    return SC_ISA_AVX2;
}
#else
static sc_isa detect_isa(void) { return SC_ISA_NONE; }
#endif

sc_isa sc_cpu_isa_hw(void)
{
    /* every thread computes the same value, so a racy first call only repeats the work */
    static _Atomic int level = -1;
    if (level < 0) level = (int)detect_isa();
    return (sc_isa)level;
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
