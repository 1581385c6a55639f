/* src/prune/method_nm.c: N:M sparsity: keep n of every m consecutive weights along k */
#include "core/core.h"
#include "prune/prune_impl.h"
#include "layer/pack_index.h"

/* torch convention: each row's k axis (in spec->order) is cut into groups [j*m, (j+1)*m);
 * each group keeps its n largest |w| (a last, partial group of s < m weights keeps
 * min(n, s)); among ties the lower OIHW index is removed first, as everywhere.
 * tfmot convention, as TF-MOT's sparsity_m_by_n (pruning_utils.generate_m_by_n_mask on
 * the kernel reshaped to [O*KH*KW, I]): the groups cut the input channels of each tap
 * (o, h, w) separately, whatever spec->order, TF-MOT zero-padding each tap's channels
 * to a multiple of m (so its partial group keeps min(n, s) too); tf.math.top_k keeps
 * the lower channel among ties. */
/* The OIHW position within its row of the weight at k (in `order`). */
static int64_t oihw_in_row(const sc_wdesc *wd, sc_pack_order order, int64_t k)
{
    int64_t i, h, x;
    sc_pack_unk(order, wd->icg, wd->kh, wd->kw, k, &i, &h, &x);
    return (i * wd->kh + h) * wd->kw + x;
}

sc_status sc_prune_nm(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                      uint8_t *mask)
{
    const bool tfmot = spec->convention == SC_CONV_TFMOT;
    /* under tfmot, scores in hwc order put each tap's input channels in one run */
    const sc_pack_order order = tfmot ? SC_PACK_HWC : spec->order;
    const int64_t n = sc_wdesc_numel(wd), n_k = wd->icg * wd->kh * wd->kw, m = spec->m;
    const int64_t run = tfmot ? wd->icg : n_k;  /* groups restart at every run of k */
    const int64_t g_len = m < run ? m : run;    /* no group is longer than a run */
    void *score = NULL, *keep = NULL, *tie = NULL, *order_buf = NULL, *scratch = NULL;
    sc_status st = sc_alloc_array(&score, (size_t)n, sizeof(double), false, "prune scores");
    if (st == SC_OK) st = sc_alloc_array(&keep, (size_t)n, 1, false, "prune keep table");
    if (st == SC_OK) st = sc_alloc_array(&tie, (size_t)g_len, sizeof(int64_t), false, "prune ties");
    if (st == SC_OK) st = sc_alloc_array(&order_buf, (size_t)g_len, sizeof(int64_t), false, "prune ranking");
    if (st == SC_OK) st = sc_alloc_array(&scratch, (size_t)g_len, sizeof(int64_t), false, "prune ranking");
    if (st == SC_OK) {
        double *s = score;
        uint8_t *kp = keep;
        int64_t *t = tie;
        sc_prune_abs_scores(wd, w, order, s);
        for (int64_t r0 = 0; r0 < wd->oc * n_k; r0 += run) {
            for (int64_t c0 = 0; c0 < run; c0 += m) {
                const int64_t size = run - c0 < m ? run - c0 : m;
                const int64_t n_keep = spec->n < size ? spec->n : size;
                for (int64_t j = 0; j < size; ++j)  /* lower tie index: removed first */
                    t[j] = tfmot ? size - 1 - j : oihw_in_row(wd, order, (r0 + c0 + j) % n_k);
                sc_prune_rank(s + r0 + c0, t, size, order_buf, scratch);
                sc_prune_select_ranked(s + r0 + c0, order_buf, size, size - n_keep, false,
                                       kp + r0 + c0);
            }
        }
        sc_prune_apply_table(wd, w, order, keep, mask);
    }
    sc_free(score);
    sc_free(keep);
    sc_free(tie);
    sc_free(order_buf);
    sc_free(scratch);
    return st;
}
