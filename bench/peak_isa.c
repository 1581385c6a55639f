/* bench/peak_isa.c: the ISA a kernel name spells, and the measured peak a row of that ISA is held to */
#include <math.h>
#include <string.h>

#include "bench.h"

void scb_isa_of_kernel(const char *kernel, char *buf, size_t cap)
{
    /* kernel names spell the ISA after the last "__" (STYLE.md, microkernel names) */
    static const char *const suffix[][2] = {
        {"avx512", "avx512"}, {"avx2", "avx2"}, {"ref", "portable"}};
    snprintf(buf, cap, "%s", "");
    const char *sep = NULL;
    for (const char *p = kernel ? strstr(kernel, "__") : NULL; p; p = strstr(p + 2, "__"))
        sep = p;
    if (!sep) return;
    const char *tail = sep + 2;
    size_t len = strcspn(tail, " ");
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++)
        if (len == strlen(suffix[i][0]) && strncmp(tail, suffix[i][0], len) == 0)
            snprintf(buf, cap, "%s", suffix[i][1]);
}

double scb_peak_for_isa(const char *isa, double peak_ymm, double peak_zmm)
{
    if (strcmp(isa, "avx512") == 0) return peak_zmm;
    if (strcmp(isa, "avx2") == 0 || strcmp(isa, "portable") == 0) return peak_ymm;
    return isfinite(peak_zmm) ? peak_zmm : peak_ymm;
}
