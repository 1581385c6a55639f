/* src/prune/prune_impl.h: internals of src/prune shared across its files: walk, rank, count */
#ifndef SC_PRUNE_IMPL_H
#define SC_PRUNE_IMPL_H

#include <stdbool.h>

#include "sconv/prune.h"

/* The filter primitive: one decision per weight, given as the (oc, k) matrix entry with
 * k in some pack order. Returns true to keep. Clients score in one walk (mask NULL) and
 * decide in a second (mask set). */
typedef bool (*sc_prune_keep_fn)(int64_t oc, int64_t k, float value, void *ctx);

/* For oc in [0, O) and k in [0, icg*kh*kw) in `order`: call keep(oc, k, w[idx], ctx) and,
 * when mask is not NULL, store its answer at mask[idx], idx being the position of that
 * weight in wd's layout. wd must be checked. */
void sc_prune_walk(const sc_wdesc *wd, sc_pack_order order, const float *w,
                   sc_prune_keep_fn keep, void *ctx, uint8_t *mask);

/* score[oc * n_k + k] = |w| for k in `order` (n_k = icg*kh*kw); with SC_PACK_CHW the
 * position oc * n_k + k is the weight's OIHW flat index. */
void sc_prune_abs_scores(const sc_wdesc *wd, const float *w, sc_pack_order order, double *score);

/* mask (wd's layout) from a keep table indexed like sc_prune_abs_scores' scores. */
void sc_prune_apply_table(const sc_wdesc *wd, const float *w, sc_pack_order order,
                          const uint8_t *keep, uint8_t *mask);

/* order[0..n) = the unit ids 0..n-1 sorted by (score ascending, tie ascending), tie NULL
 * meaning the id itself. Merge sort; scratch holds n entries. Scores must not be NaN. */
void sc_prune_rank(const double *score, const int64_t *tie, int64_t n, int64_t *order,
                   int64_t *scratch);

/* keep[u] = 0 for the first n_remove units of the ranking, 1 for the others. With
 * keep_ties, units scoring exactly the smallest kept score survive too (TF-MOT). */
void sc_prune_select_ranked(const double *score, const int64_t *order, int64_t n,
                            int64_t n_remove, bool keep_ties, uint8_t *keep);

/* Rank and select in one call, allocating the ranking (SC_ENOMEM / SC_EOVERFLOW): the
 * reference for sc_prune_select, O(n log n) time and 16 bytes per unit. */
sc_status sc_prune_select_sorted(const double *score, const int64_t *tie, int64_t n,
                                 int64_t n_remove, bool keep_ties, uint8_t *keep);

/* The same keep table as sc_prune_select_sorted for scores that are not NaN (every
 * method's scores are |w|, sums of |w| or w^2, or their means over finite weights), by
 * radix selection: at most 7 passes over the scores (6 more over scores and ties when
 * ties decide), no allocation, nothing but the data decides. Always SC_OK. */
sc_status sc_prune_select(const double *score, const int64_t *tie, int64_t n, int64_t n_remove,
                          bool keep_ties, uint8_t *keep);

/* How many of n units to remove under spec's count / amount / convention, and whether
 * units tied at the threshold survive (amount with the TF-MOT convention). `unit` names
 * them in messages ("weights", "blocks", "filters"). */
sc_status sc_prune_count(const sc_prune_spec *spec, int64_t n, const char *unit,
                         int64_t *n_remove, bool *keep_ties);

/* The two amount rules, exposed for the tests of the rules themselves. */
int64_t sc_prune_count_torch(double amount, int64_t n);  /* units removed */
int64_t sc_prune_count_tfmot(double amount, int64_t n);  /* units kept */

/* SC_ENUMERIC naming the first NaN/Inf weight, with its position in wd's layout. */
sc_status sc_prune_check_finite(const sc_wdesc *wd, const float *w);

/* Methods: write a full mask (wd's layout) for checked arguments. */
sc_status sc_prune_unstructured(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                                uint8_t *mask);
sc_status sc_prune_per_filter(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                              uint8_t *mask);
sc_status sc_prune_blocks(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                          uint8_t *mask);
sc_status sc_prune_nm(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                      uint8_t *mask);
sc_status sc_prune_filters(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                           uint8_t *mask);
sc_status sc_prune_threshold(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                             uint8_t *mask);

/* Score blocks of br x bc entries tiling each group's (oc/groups x k) matrix in `order`
 * (edge blocks hold what exists), then remove units per spec's count rule. Shared by
 * the block and whole-filter methods; `unit` names them in messages. */
sc_status sc_prune_block_mask(const sc_prune_spec *spec, const sc_wdesc *wd, const float *w,
                              sc_pack_order order, int64_t groups, int64_t br, int64_t bc,
                              sc_block_score score, const char *unit, uint8_t *mask);

#endif
