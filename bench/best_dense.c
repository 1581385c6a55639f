/* bench/best_dense.c: speedup over the faster of oneDNN's NCHW and NHWC runs of the same point */
#include <math.h>
#include <string.h>

#include "bench.h"

/* Same layer, shape, batch, threads, sparsity and method: the point in the other layout. */
static int same_point(const scb_row *a, const scb_row *b)
{
    return !strcmp(a->layer, b->layer) && a->cin == b->cin && a->cout == b->cout &&
           a->h == b->h && a->w == b->w && a->kh == b->kh && a->kw == b->kw &&
           a->stride == b->stride && a->pad == b->pad && a->dil == b->dil &&
           a->groups == b->groups && a->batch == b->batch && a->threads == b->threads &&
           fabs(a->sparsity - b->sparsity) < 1e-9 && !strcmp(a->method, b->method);
}

/* The median in ms of the timed onednn row of r's point in layout, NaN when there is none. */
static double onednn_ms(const scb_row *rows, size_t n, const scb_row *r, const char *layout)
{
    for (size_t i = 0; i < n; i++) {
        const scb_row *o = &rows[i];
        if (!strcmp(o->engine, "onednn") && !strcmp(o->layout, layout) && same_point(o, r))
            return !strcmp(o->status, "ok") && isfinite(o->ms_median) ? o->ms_median : NAN;
    }
    return NAN;
}

void scb_fill_best_dense(scb_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        scb_row *r = &rows[i];
        const double a = onednn_ms(rows, n, r, "nchw"), b = onednn_ms(rows, n, r, "nhwc");
        /* both layouts measured, or the faster one is unknown: then no value, not a guess */
        const double best = isfinite(a) && isfinite(b) ? fmin(a, b) : NAN;
        r->speedup_vs_best_dense = strcmp(r->status, "ok") == 0 && isfinite(r->ms_median)
                                       ? best / r->ms_median
                                       : NAN;
    }
}
