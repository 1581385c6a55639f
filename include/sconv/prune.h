/* include/sconv/prune.h: magnitude pruning of convolution weights into keep-masks */
#ifndef SCONV_PRUNE_H
#define SCONV_PRUNE_H

#include "sconv/layer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sc_prune_method {
    SC_PRUNE_L1 = 0,       /* unstructured, layer-wise: the smallest |w| go */
    SC_PRUNE_PER_FILTER,   /* unstructured within each output channel, equal counts per row */
    SC_PRUNE_GLOBAL,       /* unstructured, one ranking across several layers */
    SC_PRUNE_BLOCK,        /* whole r x c blocks of the (oc x k) matrix in pack order */
    SC_PRUNE_NM,           /* keep n of every m consecutive weights along k in pack order */
    SC_PRUNE_FILTER,       /* whole output channels with the smallest Ln norm */
    SC_PRUNE_THRESHOLD     /* remove |w| < threshold */
} sc_prune_method;

/* How an amount becomes a count (unstructured methods). */
typedef enum sc_prune_convention {
    SC_CONV_TORCH = 0,  /* prune round_half_even(amount*n); ties: smaller |w|, then lower OIHW index */
    SC_CONV_TFMOT       /* keep max(round_half_even(n*(1-amount)), 1); keep all tied at the threshold */
} sc_prune_convention;

typedef enum sc_block_score { SC_SCORE_L1 = 0, SC_SCORE_L2, SC_SCORE_MEAN } sc_block_score;

typedef struct sc_prune_spec {
    sc_prune_method method;
    double amount;          /* fraction to remove in [0, 1], used when count < 0 */
    int64_t count;          /* exact number to remove (blocks/filters for those methods); -1 = use amount */
    double threshold;       /* SC_PRUNE_THRESHOLD */
    sc_prune_convention convention;
    int64_t block_r, block_c;     /* SC_PRUNE_BLOCK: rows (output channels) x columns (k) */
    sc_block_score block_score;
    int64_t n, m;                 /* SC_PRUNE_NM */
    double norm_p;                /* SC_PRUNE_FILTER: 1 or 2 */
    sc_pack_order order;          /* the k order that block and N:M patterns follow */
    int64_t groups;               /* convolution groups (block/N:M work within a group's matrix) */
} sc_prune_spec;

/* Unstructured L1, amount 0, torch convention, 1x1 blocks, 2:4, p = 2, CHW order, 1 group. */
sc_prune_spec sc_prune_spec_default(void);

/* Compute a keep-mask (1 keep, 0 prune) for weights w described by wd, in wd's layout. */
sc_status sc_prune_mask(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                        uint8_t *mask);

/* SC_PRUNE_GLOBAL (or L1 counted over all layers together): one ranking across n_layers. */
sc_status sc_prune_mask_global(const sc_prune_spec *spec, size_t n_layers,
                               const sc_wdesc *const *wd, const float *const *w,
                               uint8_t *const *mask);

#ifdef __cplusplus
}
#endif
#endif
