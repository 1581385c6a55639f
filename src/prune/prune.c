/* src/prune/prune.c: sc_prune_mask: validate, refuse non-finite weights, dispatch a method */
#include <string.h>

#include "core/core.h"
#include "prune/prune_impl.h"

sc_status sc_prune_mask(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                        uint8_t *mask)
{
    sc_status st = sc_prune_spec_check(spec);
    if (st == SC_OK) st = sc_wdesc_check(wd);
    if (st != SC_OK) return st;
    if (!w || !mask) return sc_fail(SC_EINVAL, "prune: %s is NULL", !w ? "weights" : "mask");
    st = sc_prune_check_finite(wd, w);
    if (st != SC_OK) return st;
    const int64_t n = sc_wdesc_numel(wd);
    void *tmp = NULL;  /* the mask is built aside: a failure leaves the caller's untouched */
    st = sc_alloc_array(&tmp, (size_t)n, 1, false, "prune mask");
    if (st != SC_OK) return st;
    switch (spec->method) {
    case SC_PRUNE_L1:
    case SC_PRUNE_GLOBAL: st = sc_prune_unstructured(spec, wd, w, tmp); break;
    case SC_PRUNE_PER_FILTER: st = sc_prune_per_filter(spec, wd, w, tmp); break;
    case SC_PRUNE_BLOCK: st = sc_prune_blocks(spec, wd, w, tmp); break;
    case SC_PRUNE_NM: st = sc_prune_nm(spec, wd, w, tmp); break;
    case SC_PRUNE_FILTER: st = sc_prune_filters(spec, wd, w, tmp); break;
    case SC_PRUNE_THRESHOLD: st = sc_prune_threshold(spec, wd, w, tmp); break;
    }
    if (st == SC_OK) memcpy(mask, tmp, (size_t)n);
    sc_free(tmp);
    return st;
}
