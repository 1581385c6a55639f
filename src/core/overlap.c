/* src/core/overlap.c: do two byte ranges share memory? Compared without forming an end address */
#include <stdint.h>

#include "core/core.h"

bool sc_bytes_overlap(const void *a, size_t na, const void *b, size_t nb)
{
    if (!a || !b || na == 0 || nb == 0) return false;
    const uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    /* distances from the lower start: a0 + na could wrap at the top of the address space */
    return a0 <= b0 ? b0 - a0 < na : a0 - b0 < nb;
}

size_t sc_tensor_bytes(const sc_tensor *t)
{
    /* a checked view's span fits size_t bytes (sc_tensor_check) */
    return (size_t)sc_tensor_span(t) * sizeof(float);
}
