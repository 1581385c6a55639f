/* include/sconv/prune.h: magnitude pruning of convolution weights into keep-masks */
#ifndef SCONV_PRUNE_H
#define SCONV_PRUNE_H

#include "sconv/pack_order.h"
#include "sconv/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every method is deterministic and documented in docs/pruning.md. "Units" are what a
 * method removes whole: weights (l1, global, per-filter rows), blocks, or filters. */
typedef enum sc_prune_method {
    SC_PRUNE_L1 = 0,       /* unstructured, layer-wise: the smallest |w| go */
    SC_PRUNE_PER_FILTER,   /* unstructured within each output channel, equal counts per row */
    SC_PRUNE_GLOBAL,       /* unstructured, one ranking across several layers */
    SC_PRUNE_BLOCK,        /* whole r x c blocks of the (oc x k) matrix in pack order */
    SC_PRUNE_NM,           /* keep n of every m consecutive weights along k in pack order */
    SC_PRUNE_FILTER,       /* whole output channels with the smallest Ln norm */
    SC_PRUNE_THRESHOLD     /* remove |w| < threshold */
} sc_prune_method;

/* How an amount becomes a count of units (every method that takes an amount). */
typedef enum sc_prune_convention {
    SC_CONV_TORCH = 0,  /* remove round_half_even(amount*n) (double); ties: smaller score, then lower index */
    SC_CONV_TFMOT       /* keep max(round_half_even(n*(1-amount)), 1) (float32); keep all tied at the threshold */
} sc_prune_convention;

/* Block score; SC_SCORE_L2 ranks by the sum of squares (the same order as the L2 norm). */
typedef enum sc_block_score { SC_SCORE_L1 = 0, SC_SCORE_L2, SC_SCORE_MEAN } sc_block_score;

typedef struct sc_prune_spec {
    sc_prune_method method;
    double amount;          /* fraction of units to remove in [0, 1], used when count < 0 */
    int64_t count;          /* exact number of units to remove (per row for per-filter); -1 = use amount */
    double threshold;       /* SC_PRUNE_THRESHOLD: finite, >= 0 */
    sc_prune_convention convention;
    int64_t block_r, block_c;     /* SC_PRUNE_BLOCK: rows (output channels) x columns (k) */
    sc_block_score block_score;
    int64_t n, m;                 /* SC_PRUNE_NM: 1 <= n <= m */
    double norm_p;                /* SC_PRUNE_FILTER: 1 or 2 */
    sc_pack_order order;          /* the k order that block and N:M patterns follow */
    int64_t groups;               /* convolution groups (blocks tile each group's matrix) */
} sc_prune_spec;

/* Unstructured L1, amount 0, count -1, torch convention, 1x1 L1 blocks, 2:4, p = 2,
 * CHW order, 1 group, threshold 0. */
SC_API sc_prune_spec sc_prune_spec_default(void);

/* Check the fields the spec's method uses (independent of any weights): SC_EINVAL. */
SC_API sc_status sc_prune_spec_check(const sc_prune_spec *spec);

/* Parse a method string into spec's method fields (method, block_r/c, block_score, n/m,
 * norm_p); amount, count, threshold, convention, order and groups are left as they are.
 * Accepted (case-insensitive): "l1", "per-filter", "global", "block:RxC",
 * "block:RxC:l1|l2|mean", "nm:N:M", "filter" (= "filter:l2"), "filter:l1", "filter:l2",
 * "threshold". SC_EINVAL (spec untouched) on anything else. */
SC_API sc_status sc_prune_spec_parse(const char *method, sc_prune_spec *spec);

/* "l1", "per-filter", "global", "block", "nm", "filter", "threshold"; NULL if unknown. */
SC_API const char *sc_prune_method_name(sc_prune_method method);
/* "torch" / "tfmot"; NULL if unknown. */
SC_API const char *sc_prune_convention_name(sc_prune_convention convention);
/* Accepts "torch", "pytorch", "tfmot" (case-insensitive); SC_EINVAL otherwise. */
SC_API sc_status sc_prune_convention_parse(const char *name, sc_prune_convention *out);

/* The parameters the method used, as "key=value" words for the .sconv method_params
 * field, e.g. "block=4x1 score=l1 order=chw groups=1 amount=0.5 convention=torch".
 * Checks the spec; SC_EINVAL if the text (with its NUL) does not fit in cap bytes,
 * leaving buf untouched. */
SC_API sc_status sc_prune_spec_describe(const sc_prune_spec *spec, char *buf, size_t cap);

/* Compute a keep-mask (1 keep, 0 prune) for weights w described by wd, in wd's layout.
 * Ranking and ties follow OIHW positions whatever wd's layout; block and N:M patterns
 * follow spec->order. NaN/Inf weights: SC_ENUMERIC naming the first one. On failure the
 * mask is untouched. */
SC_API sc_status sc_prune_mask(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                        uint8_t *mask);

/* One ranking across n_layers (SC_PRUNE_GLOBAL or SC_PRUNE_L1: the count is over all
 * weights together, ties by layer then OIHW index; SC_PRUNE_THRESHOLD is accepted too).
 * Masks are written only when every layer succeeds. */
SC_API sc_status sc_prune_mask_global(const sc_prune_spec *spec, size_t n_layers,
                               const sc_wdesc *const *wd, const float *const *w,
                               uint8_t *const *mask);

#ifdef __cplusplus
}
#endif
#endif
