/* src/prune/check_finite.c: refuse NaN/Inf weights before any ranking */
#include <math.h>

#include "core/core.h"
#include "prune/prune_impl.h"

/* A NaN has no place in a magnitude order and an Inf would survive every amount, so
 * pruning refuses both, naming the first one by flat index and (o, i, h, w). */
sc_status sc_prune_check_finite(const sc_wdesc *wd, const float *w)
{
    const int64_t n = sc_wdesc_numel(wd);
    for (int64_t idx = 0; idx < n; ++idx) {
        if (isfinite(w[idx])) continue;
        int64_t shape[4], c[4], rest = idx;
        sc_wdesc_shape(wd, shape);
        for (int d = 3; d >= 0; --d) {
            c[d] = rest % shape[d];
            rest /= shape[d];
        }
        int64_t o, i, h, x;  /* logical coordinates from the layout's axis order */
        switch (wd->layout) {
        case SC_OHWI: o = c[0]; h = c[1]; x = c[2]; i = c[3]; break;
        case SC_HWIO: h = c[0]; x = c[1]; i = c[2]; o = c[3]; break;
        default: o = c[0]; i = c[1]; h = c[2]; x = c[3]; break;
        }
        return sc_fail(SC_ENUMERIC,
                       "prune: weight %lld (%s, o=%lld i=%lld h=%lld w=%lld) is %s: "
                       "pruning needs finite weights",
                       (long long)idx, sc_wlayout_name(wd->layout), (long long)o, (long long)i,
                       (long long)h, (long long)x, isnan(w[idx]) ? "NaN" : "Inf");
    }
    return SC_OK;
}
