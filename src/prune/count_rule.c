/* src/prune/count_rule.c: how an amount becomes a count: PyTorch and TF-MOT rules */
#include <math.h>

#include "core/core.h"
#include "prune/prune_impl.h"

/* PyTorch (_compute_nparams_toprune): round(amount * n) in Python, i.e. the double
 * product rounded half to even. nearbyint rounds half to even in the default mode. */
int64_t sc_prune_count_torch(double amount, int64_t n)
{
    const double product = amount * (double)n;
    return (int64_t)nearbyint(product);
}

/* TF-MOT (pruning_impl._update_mask): k = max(round(float32(n) * (1 - sparsity)), 1)
 * with sparsity a float32 tensor and tf.math.round rounding half to even, all in float32.
 * Each step is assigned to a float so no wider evaluation can change a half-way case. */
int64_t sc_prune_count_tfmot(double amount, int64_t n)
{
    const float sparsity = (float)amount;
    const float density = 1.0f - sparsity;
    const float product = (float)n * density;
    const float rounded = nearbyintf(product);
    int64_t keep = rounded < 1.0f ? 1 : (int64_t)rounded;
    return keep > n ? n : keep;
}

sc_status sc_prune_count(const sc_prune_spec *spec, int64_t n, const char *unit,
                         int64_t *n_remove, bool *keep_ties)
{
    if (spec->count >= 0) {  /* an exact count overrides the amount and any convention */
        if (spec->count > n)
            return sc_fail(SC_EINVAL, "prune: count %lld exceeds the %lld %s there are",
                           (long long)spec->count, (long long)n, unit);
        *n_remove = spec->count;
        *keep_ties = false;
        return SC_OK;
    }
    const double a = spec->amount;
    if (!(a >= 0.0 && a <= 1.0))
        return sc_fail(SC_EINVAL, "prune: amount %g: must be in [0, 1]", a);
    if (spec->convention == SC_CONV_TFMOT) {
        *n_remove = n - sc_prune_count_tfmot(a, n);
        *keep_ties = true;
    } else {
        *n_remove = sc_prune_count_torch(a, n);
        *keep_ties = false;
    }
    return SC_OK;
}
