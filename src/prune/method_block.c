/* src/prune/method_block.c: remove whole r x c blocks of each group's (oc x k) matrix */
#include <math.h>

#include "core/core.h"
#include "prune/prune_impl.h"

typedef struct blocks {
    int64_t ocg, br, bc, nbr, nbc;  /* rows per group, block size, blocks per group: rows x cols */
    double *sum_abs, *sum_sq;       /* per block */
    int64_t *count;                 /* weights in the block (fewer at the edges) */
    const uint8_t *keep;            /* per block, for the mask walk */
} blocks;

/* Blocks are numbered (group, block row, block column) row-major: ties go to the lower. */
static int64_t block_of(const blocks *b, int64_t oc, int64_t k)
{
    const int64_t g = oc / b->ocg, r = (oc % b->ocg) / b->br;
    return (g * b->nbr + r) * b->nbc + k / b->bc;
}

static bool accumulate(int64_t oc, int64_t k, float value, void *ctx)
{
    blocks *b = ctx;
    const int64_t id = block_of(b, oc, k);
    const double v = (double)value;
    b->sum_abs[id] += fabs(v);
    b->sum_sq[id] += v * v;
    b->count[id] += 1;
    return true;
}

static bool lookup(int64_t oc, int64_t k, float value, void *ctx)
{
    (void)value;
    const blocks *b = ctx;
    return b->keep[block_of(b, oc, k)] != 0;
}

/* Scores in double: L1 = sum |w|, L2 = sum w^2 (ranks like the norm, without a sqrt that
 * could merge close values), mean = sum |w| / (weights the block really has). */
sc_status sc_prune_block_mask(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                              sc_pack_order order, int64_t groups, int64_t br, int64_t bc,
                              sc_block_score score, const char *unit, uint8_t *mask)
{
    const int64_t n_k = wd->icg * wd->kh * wd->kw, ocg = wd->oc / groups;
    /* ceilings written without ocg + br - 1, which could overflow for a huge block side */
    blocks b = {.ocg = ocg, .br = br, .bc = bc, .nbr = ocg / br + (ocg % br != 0),
                .nbc = n_k / bc + (n_k % bc != 0)};
    const int64_t nb = groups * b.nbr * b.nbc;  /* <= the weight count: no overflow */
    int64_t n_remove = 0;
    bool keep_ties = false;
    void *abs_mem = NULL, *sq_mem = NULL, *cnt_mem = NULL, *keep = NULL;
    sc_status st = sc_prune_count(spec, nb, unit, &n_remove, &keep_ties);
    if (st == SC_OK) st = sc_alloc_array(&abs_mem, (size_t)nb, sizeof(double), true, "block scores");
    if (st == SC_OK) st = sc_alloc_array(&sq_mem, (size_t)nb, sizeof(double), true, "block scores");
    if (st == SC_OK) st = sc_alloc_array(&cnt_mem, (size_t)nb, sizeof(int64_t), true, "block sizes");
    if (st == SC_OK) st = sc_alloc_array(&keep, (size_t)nb, 1, false, "block keep table");
    if (st == SC_OK) {
        b.sum_abs = abs_mem;
        b.sum_sq = sq_mem;
        b.count = cnt_mem;
        sc_prune_walk(wd, order, w, accumulate, &b, NULL);
        double *s = score == SC_SCORE_L2 ? b.sum_sq : b.sum_abs;
        if (score == SC_SCORE_MEAN)
            for (int64_t id = 0; id < nb; ++id) s[id] /= (double)b.count[id];
        st = sc_prune_select(s, NULL, nb, n_remove, keep_ties, keep);
    }
    if (st == SC_OK) {
        b.keep = keep;
        sc_prune_walk(wd, order, w, lookup, &b, mask);
    }
    sc_free(abs_mem);
    sc_free(sq_mem);
    sc_free(cnt_mem);
    sc_free(keep);
    return st;
}

sc_status sc_prune_blocks(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                          uint8_t *mask)
{
    if (wd->oc % spec->groups != 0)
        return sc_fail(SC_EINVAL, "prune block: groups = %lld does not divide the %lld output "
                       "channels", (long long)spec->groups, (long long)wd->oc);
    return sc_prune_block_mask(spec, wd, w, spec->order, spec->groups, spec->block_r,
                               spec->block_c, spec->block_score, "blocks", mask);
}
