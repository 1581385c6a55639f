/* src/prune/method_unstructured.c: layer-wise magnitude pruning (l1; global over one layer) */
#include "core/core.h"
#include "prune/prune_impl.h"

/* Remove the count-rule number of smallest |w|; ties: lower OIHW index goes first
 * (TF-MOT convention: every weight tied at the threshold stays). */
sc_status sc_prune_unstructured(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                                uint8_t *mask)
{
    const int64_t n = sc_wdesc_numel(wd);
    int64_t n_remove = 0;
    bool keep_ties = false;
    void *score = NULL, *keep = NULL;
    sc_status st = sc_prune_count(spec, n, "weights", &n_remove, &keep_ties);
    if (st == SC_OK) st = sc_alloc_array(&score, (size_t)n, sizeof(double), false, "prune scores");
    if (st == SC_OK) st = sc_alloc_array(&keep, (size_t)n, 1, false, "prune keep table");
    if (st == SC_OK) {
        sc_prune_abs_scores(wd, w, SC_PACK_CHW, score);
        st = sc_prune_select(score, NULL, n, n_remove, keep_ties, keep);
    }
    if (st == SC_OK) sc_prune_apply_table(wd, w, SC_PACK_CHW, keep, mask);
    sc_free(score);
    sc_free(keep);
    return st;
}
