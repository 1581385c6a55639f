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
    int64_t s[4];
    sc_wdesc_strides(wd, s);
    const int64_t s_o = s[0], s_i = s[1], s_h = s[2], s_w = s[3];
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
