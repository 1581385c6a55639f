/* src/layer/pack_index.h: k <-> (i, kh, kw) in a pack order, the one place that defines the orders */
#ifndef SC_LAYER_PACK_INDEX_H
#define SC_LAYER_PACK_INDEX_H

#include <stdint.h>

#include "sconv/pack_order.h"

/* Reduction index k of weight (i, h, w) within its group's row, in the given order. */
static inline int64_t sc_pack_k(sc_pack_order order, int64_t icg, int64_t kh, int64_t kw,
                                int64_t i, int64_t h, int64_t w)
{
    (void)kh;
    return order == SC_PACK_CHW ? (i * kh + h) * kw + w : (h * kw + w) * icg + i;
}

/* Inverse of sc_pack_k. Walking k = 0, 1, ... through it visits a row in pack order. */
static inline void sc_pack_unk(sc_pack_order order, int64_t icg, int64_t kh, int64_t kw,
                               int64_t k, int64_t *i, int64_t *h, int64_t *w)
{
    if (order == SC_PACK_CHW) {
        *w = k % kw;
        *h = (k / kw) % kh;
        *i = k / (kw * kh);
    } else {
        *i = k % icg;
        *w = (k / icg) % kw;
        *h = k / (icg * kw);
    }
}

#endif
