/* src/prune/score.c: per-weight scores |w| and the table-lookup client of the filter primitive */
#include <math.h>

#include "core/core.h"
#include "prune/prune_impl.h"

typedef struct table {
    double *score;       /* gather: oc * n_k + k -> |w| */
    const uint8_t *keep; /* apply: oc * n_k + k -> keep */
    int64_t n_k;
} table;

static bool gather_abs(int64_t oc, int64_t k, float value, void *ctx)
{
    const table *t = ctx;
    t->score[oc * t->n_k + k] = fabs((double)value);
    return true;
}

static bool lookup(int64_t oc, int64_t k, float value, void *ctx)
{
    (void)value;
    const table *t = ctx;
    return t->keep[oc * t->n_k + k] != 0;
}

void sc_prune_abs_scores(const sc_wdesc *wd, const float *w, sc_pack_order order, double *score)
{
    table t = {.score = score, .keep = NULL, .n_k = wd->icg * wd->kh * wd->kw};
    sc_prune_walk(wd, order, w, gather_abs, &t, NULL);
}

void sc_prune_apply_table(const sc_wdesc *wd, const float *w, sc_pack_order order,
                          const uint8_t *keep, uint8_t *mask)
{
    table t = {.score = NULL, .keep = keep, .n_k = wd->icg * wd->kh * wd->kw};
    sc_prune_walk(wd, order, w, lookup, &t, mask);
}
