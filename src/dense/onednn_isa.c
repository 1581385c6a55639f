/* src/dense/onednn_isa.c: the SCONV_ISA cap passed on to oneDNN's dispatch, once, before its first primitive */
#include <pthread.h>
#include <stdlib.h>

#include "core/core.h"
#include "dense/onednn_impl.h"

/* oneDNN's level for ours; portable takes oneDNN's lowest x86 level, as no level of it is
 * free of SIMD. */
static dnnl_cpu_isa_t onednn_level(sc_isa isa)
{
    switch (isa) {
    case SC_ISA_AVX2: return dnnl_cpu_isa_avx2;
    case SC_ISA_AVX512: return dnnl_cpu_isa_avx512_core;
    case SC_ISA_NONE: break;
    }
    return dnnl_cpu_isa_sse41;
}

static bool env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

static void cap_once(void)
{
    if (sc_cpu_isa() >= sc_cpu_isa_hw()) return;  /* no cap below the CPU: oneDNN's choice */
    if (env_set("ONEDNN_MAX_CPU_ISA") || env_set("DNNL_MAX_CPU_ISA")) return;  /* the user's */
    /* Refused once oneDNN has dispatched in this process (the caller used it first):
     * oneDNN then keeps its level, as documented, and plans still succeed. */
    (void)dnnl_set_max_cpu_isa(onednn_level(sc_cpu_isa()));
}

void sc_dense_onednn_cap_isa(void)
{
    /* every thread waits until the cap is set, so no primitive is created before it */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, cap_once);
}
