/* src/core/cpu.c: CPU feature detection (AVX2 + FMA, AVX-512) and L1/L2 cache sizes, done once */
#include <unistd.h>

#include "core/core.h"

#if defined(__x86_64__) || defined(__i386__)
/* Every thread computes the same value, so a racy first call only repeats the work. */
static bool cached(_Atomic int *slot, bool (*detect)(void))
{
    if (*slot < 0) *slot = detect();
    return *slot != 0;
}

static bool detect_avx2_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static bool detect_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

bool sc_cpu_has_avx2_fma(void)
{
    static _Atomic int slot = -1;
    return cached(&slot, detect_avx2_fma);
}

bool sc_cpu_has_avx512(void)
{
    static _Atomic int slot = -1;
    return cached(&slot, detect_avx512);
}
#else
bool sc_cpu_has_avx2_fma(void) { return false; }
bool sc_cpu_has_avx512(void) { return false; }
#endif

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
