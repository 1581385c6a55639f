/* src/prune/method_threshold.c: remove every weight with |w| below a given threshold */
#include <math.h>

#include "core/core.h"
#include "prune/prune_impl.h"

static bool at_least(int64_t oc, int64_t k, float value, void *ctx)
{
    (void)oc;
    (void)k;
    return fabs((double)value) >= *(const double *)ctx;
}

/* keep |w| >= t, remove |w| < t: a weight equal to t stays. */
sc_status sc_prune_threshold(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                             uint8_t *mask)
{
    double t = spec->threshold;
    sc_prune_walk(wd, SC_PACK_CHW, w, at_least, &t, mask);
    return SC_OK;
}
