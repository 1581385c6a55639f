/* src/prune/method_per_filter.c: magnitude pruning within each output channel, equal counts */
#include "core/core.h"
#include "prune/prune_impl.h"

/* Every row (output channel, n_k = icg*kh*kw weights) loses the same count-rule number of
 * its smallest |w|, ties to the lower OIHW index, so rows stay balanced. */
sc_status sc_prune_per_filter(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                              uint8_t *mask)
{
    const int64_t n = sc_wdesc_numel(wd), n_k = wd->icg * wd->kh * wd->kw;
    int64_t n_remove = 0;
    bool keep_ties = false;
    void *score = NULL, *keep = NULL, *order = NULL, *scratch = NULL;
    sc_status st = sc_prune_count(spec, n_k, "weights per row", &n_remove, &keep_ties);
    if (st == SC_OK) st = sc_alloc_array(&score, (size_t)n, sizeof(double), false, "prune scores");
    if (st == SC_OK) st = sc_alloc_array(&keep, (size_t)n, 1, false, "prune keep table");
    if (st == SC_OK) st = sc_alloc_array(&order, (size_t)n_k, sizeof(int64_t), false, "prune ranking");
    if (st == SC_OK) st = sc_alloc_array(&scratch, (size_t)n_k, sizeof(int64_t), false, "prune ranking");
    if (st == SC_OK) {
        double *s = score;
        uint8_t *kp = keep;
        sc_prune_abs_scores(wd, w, SC_PACK_CHW, s);
        for (int64_t oc = 0; oc < wd->oc; ++oc) {
            sc_prune_rank(s + oc * n_k, NULL, n_k, order, scratch);
            sc_prune_select_ranked(s + oc * n_k, order, n_k, n_remove, keep_ties, kp + oc * n_k);
        }
        sc_prune_apply_table(wd, w, SC_PACK_CHW, keep, mask);
    }
    sc_free(score);
    sc_free(keep);
    sc_free(order);
    sc_free(scratch);
    return st;
}
