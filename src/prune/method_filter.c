/* src/prune/method_filter.c: remove whole output channels with the smallest L1 or L2 norm */
#include "core/core.h"
#include "prune/prune_impl.h"

/* PyTorch ln_structured on dim 0: a filter is a 1 x (icg*kh*kw) block of the (oc x k)
 * matrix, so this is block pruning with one block per row; ties go to the lower channel. */
sc_status sc_prune_filters(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                           uint8_t *mask)
{
    const int64_t n_k = wd->icg * wd->kh * wd->kw;
    const sc_block_score score = spec->norm_p == 1.0 ? SC_SCORE_L1 : SC_SCORE_L2;
    return sc_prune_block_mask(spec, wd, w, SC_PACK_CHW, 1, 1, n_k, score, "filters", mask);
}
