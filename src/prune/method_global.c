/* src/prune/method_global.c: one magnitude ranking across several layers */
#include <stdio.h>

#include "core/core.h"
#include "prune/prune_impl.h"

static sc_status check_layers(const sc_prune_spec *spec, size_t n_layers,
                              const sc_wdesc *const *wd, const float *const *w,
                              uint8_t *const *mask, int64_t *total)
{
    sc_status st = sc_prune_spec_check(spec);
    if (st != SC_OK) return st;
    if (spec->method != SC_PRUNE_GLOBAL && spec->method != SC_PRUNE_L1 &&
        spec->method != SC_PRUNE_THRESHOLD)
        return sc_fail(SC_EINVAL, "prune global: method '%s' does not rank across layers "
                       "(global, l1 or threshold); prune each layer with sc_prune_mask",
                       sc_prune_method_name(spec->method));
    if (n_layers < 1 || !wd || !w || !mask)
        return sc_fail(SC_EINVAL, "prune global: %zu layers, arrays %s: need >= 1 layer and "
                       "non-NULL arrays", n_layers, (!wd || !w || !mask) ? "NULL" : "set");
    int64_t sum = 0;
    for (size_t l = 0; l < n_layers; ++l) {
        st = sc_wdesc_check(wd[l]);
        if (st != SC_OK) return st;
        if (!w[l] || !mask[l])
            return sc_fail(SC_EINVAL, "prune global: layer %zu: %s is NULL", l,
                           !w[l] ? "weights" : "mask");
        st = sc_prune_check_finite(wd[l], w[l]);
        if (st != SC_OK) {
            char why[256];  /* sc_fail rewrites the message buffer: copy it first */
            snprintf(why, sizeof why, "%s", sc_last_message());
            return sc_fail(st, "prune global: layer %zu: %s", l, why);
        }
        if (sc_add_ovf(sum, sc_wdesc_numel(wd[l]), &sum))
            return sc_fail(SC_EOVERFLOW, "prune global: the weight count overflows at layer %zu", l);
    }
    *total = sum;
    return SC_OK;
}

/* Scores are the layers' |w| concatenated, each layer in OIHW order (PyTorch's
 * parameters_to_vector); the count rule applies to the total and ties go to the lower
 * position in that concatenation (earlier layer first). Threshold keeps |w| >= t. */
sc_status sc_prune_mask_global(const sc_prune_spec *spec, size_t n_layers,
                               const sc_wdesc *const *wd, const float *const *w,
                               uint8_t *const *mask)
{
    int64_t total = 0, n_remove = 0;
    bool keep_ties = false;
    sc_status st = check_layers(spec, n_layers, wd, w, mask, &total);
    if (st != SC_OK) return st;
    if (spec->method != SC_PRUNE_THRESHOLD)
        st = sc_prune_count(spec, total, "weights", &n_remove, &keep_ties);
    void *score_mem = NULL, *keep_mem = NULL;
    if (st == SC_OK)
        st = sc_alloc_array(&score_mem, (size_t)total, sizeof(double), false, "prune scores");
    if (st == SC_OK) st = sc_alloc_array(&keep_mem, (size_t)total, 1, false, "prune keep table");
    double *score = score_mem;
    uint8_t *keep = keep_mem;
    if (st == SC_OK) {
        int64_t at = 0;
        for (size_t l = 0; l < n_layers; ++l) {
            sc_prune_abs_scores(wd[l], w[l], SC_PACK_CHW, score + at);
            at += sc_wdesc_numel(wd[l]);
        }
        if (spec->method == SC_PRUNE_THRESHOLD)
            for (int64_t u = 0; u < total; ++u) keep[u] = score[u] >= spec->threshold;
        else
            st = sc_prune_select(score, NULL, total, n_remove, keep_ties, keep);
    }
    if (st == SC_OK) {  /* nothing can fail from here: every mask is written or none */
        int64_t at = 0;
        for (size_t l = 0; l < n_layers; ++l) {
            sc_prune_apply_table(wd[l], w[l], SC_PACK_CHW, keep + at, mask[l]);
            at += sc_wdesc_numel(wd[l]);
        }
    }
    sc_free(score_mem);
    sc_free(keep_mem);
    return st;
}
