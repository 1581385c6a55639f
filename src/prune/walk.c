/* src/prune/walk.c: the filter primitive keep(oc, k, value, ctx) over every weight */
#include "core/core.h"
#include "prune/prune_impl.h"
#include "layer/pack_index.h"

/* mask[idx(oc, i, h, w)] = keep(oc, k(i, h, w), w[idx], ctx) for every weight, rows in
 * output-channel order and k ascending in `order`. The layout enters only through the
 * element strides of the four logical axes, so every client works for every layout. */
void sc_prune_walk(const sc_wdesc *wd, sc_pack_order order, const float *w,
                   sc_prune_keep_fn keep, void *ctx, uint8_t *mask)
{
    /* the index is linear in (o, i, h, w) with index(0, 0, 0, 0) = 0: read off its strides */
    const int64_t s_o = sc_wdesc_index(wd, 1, 0, 0, 0), s_i = sc_wdesc_index(wd, 0, 1, 0, 0);
    const int64_t s_h = sc_wdesc_index(wd, 0, 0, 1, 0), s_w = sc_wdesc_index(wd, 0, 0, 0, 1);
    const int64_t icg = wd->icg, kh = wd->kh, kw = wd->kw, n_k = icg * kh * kw;
    for (int64_t oc = 0; oc < wd->oc; ++oc) {
        for (int64_t k = 0; k < n_k; ++k) {
            int64_t i, h, x;
            sc_pack_unk(order, icg, kh, kw, k, &i, &h, &x);
            const int64_t idx = oc * s_o + i * s_i + h * s_h + x * s_w;
            const bool kept = keep(oc, k, w[idx], ctx);
            if (mask) mask[idx] = kept ? 1 : 0;
        }
    }
}
