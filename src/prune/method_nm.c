/* src/prune/method_nm.c: N:M sparsity: keep n of every m consecutive weights along k */
#include "core/core.h"
#include "prune/prune_impl.h"
#include "sparse/layer_impl.h"

/* Each row's k axis (in spec->order) is cut into groups [j*m, (j+1)*m); each group keeps
 * its n largest |w| (the last, partial group of s < m weights keeps min(n, s)). Ties:
 * the lower OIHW index is removed first, as everywhere. */
sc_status sc_prune_nm(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                      uint8_t *mask)
{
    const int64_t n = sc_wdesc_numel(wd), n_k = wd->icg * wd->kh * wd->kw, m = spec->m;
    const int64_t g_len = m < n_k ? m : n_k;  /* no group is longer than a row */
    void *score = NULL, *keep = NULL, *tie = NULL, *order = NULL, *scratch = NULL;
    sc_status st = sc_alloc_array(&score, (size_t)n, sizeof(double), false, "prune scores");
    if (st == SC_OK) st = sc_alloc_array(&keep, (size_t)n, 1, false, "prune keep table");
    if (st == SC_OK) st = sc_alloc_array(&tie, (size_t)g_len, sizeof(int64_t), false, "prune ties");
    if (st == SC_OK) st = sc_alloc_array(&order, (size_t)g_len, sizeof(int64_t), false, "prune ranking");
    if (st == SC_OK) st = sc_alloc_array(&scratch, (size_t)g_len, sizeof(int64_t), false, "prune ranking");
    if (st == SC_OK) {
        double *s = score;
        uint8_t *kp = keep;
        int64_t *t = tie;
        sc_prune_abs_scores(wd, w, spec->order, s);
        for (int64_t oc = 0; oc < wd->oc; ++oc) {
            for (int64_t k0 = 0; k0 < n_k; k0 += m) {
                const int64_t size = n_k - k0 < m ? n_k - k0 : m;
                const int64_t n_keep = spec->n < size ? spec->n : size;
                for (int64_t j = 0; j < size; ++j) {  /* OIHW position within the row */
                    int64_t i, h, x;
                    sc_pack_unk(spec->order, wd->icg, wd->kh, wd->kw, k0 + j, &i, &h, &x);
                    t[j] = (i * wd->kh + h) * wd->kw + x;
                }
                const int64_t at = oc * n_k + k0;
                sc_prune_rank(s + at, t, size, order, scratch);
                sc_prune_select_ranked(s + at, order, size, size - n_keep, false, kp + at);
            }
        }
        sc_prune_apply_table(wd, w, spec->order, keep, mask);
    }
    sc_free(score);
    sc_free(keep);
    sc_free(tie);
    sc_free(order);
    sc_free(scratch);
    return st;
}
