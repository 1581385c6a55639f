/* tests/prune/prune_oracle.h: independent oracles for the pruning tests (brute force, no sort) */
#ifndef TESTS_PRUNE_ORACLE_H
#define TESTS_PRUNE_ORACLE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "sconv.h"

/* Weights with many exact ties: integers in [-levels, levels] scaled by 0.25. */
static inline void fill_ties(float *w, int64_t n, int levels, uint64_t seed)
{
    ct_rng r = {seed * 2654435761u + 1};
    for (int64_t i = 0; i < n; ++i)
        w[i] = 0.25f * (float)((int64_t)(ct_next(&r) % (uint64_t)(2 * levels + 1)) - levels);
}

/* Distinct magnitudes (no ties): a permutation of 1..n with random signs, scaled. */
static inline void fill_distinct(float *w, int64_t n, uint64_t seed)
{
    ct_rng r = {seed * 2654435761u + 7};
    for (int64_t i = 0; i < n; ++i) w[i] = (float)(i + 1) / 8.0f;
    for (int64_t i = n - 1; i > 0; --i) {  /* Fisher-Yates */
        int64_t j = (int64_t)(ct_next(&r) % (uint64_t)(i + 1));
        float t = w[i]; w[i] = w[j]; w[j] = t;
    }
    for (int64_t i = 0; i < n; ++i)
        if (ct_next(&r) & 1) w[i] = -w[i];
}

/* Torch rule by counting: unit u is removed iff fewer than n_remove units come before it
 * in the order (score ascending, index ascending). O(n^2), no sorting. */
static inline void oracle_remove_smallest(const double *score, int64_t n, int64_t n_remove,
                                          uint8_t *keep)
{
    for (int64_t u = 0; u < n; ++u) {
        int64_t before = 0;
        for (int64_t v = 0; v < n; ++v)
            if (score[v] < score[u] || (score[v] == score[u] && v < u)) ++before;
        keep[u] = before >= n_remove;
    }
}

/* TF-MOT rule: keep |w| >= the n_keep-th largest score (n_keep >= 1). */
static inline void oracle_keep_ge_kth(const double *score, int64_t n, int64_t n_keep,
                                      uint8_t *keep)
{
    double kth = 0.0;
    for (int64_t u = 0; u < n; ++u) {  /* kth = the score with exactly < n_keep above it... */
        int64_t above = 0, at_least = 0;
        for (int64_t v = 0; v < n; ++v) {
            above += score[v] > score[u];
            at_least += score[v] >= score[u];
        }
        if (above < n_keep && at_least >= n_keep) kth = score[u];
    }
    for (int64_t u = 0; u < n; ++u) keep[u] = score[u] >= kth;
}

/* Convert a 0/1 mask between layouts through float (sc_weights_convert is checked against
 * numpy.transpose semantics in tests/core). */
static inline void mask_convert(const sc_wdesc *wd, const uint8_t *mask, sc_wlayout to,
                                uint8_t *out)
{
    const int64_t n = sc_wdesc_numel(wd);
    float *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    for (int64_t i = 0; i < n; ++i) a[i] = mask[i];
    sc_weights_convert(wd, a, to, b);
    for (int64_t i = 0; i < n; ++i) out[i] = (uint8_t)b[i];
    free(a);
    free(b);
}

static inline int64_t count_kept(const uint8_t *mask, int64_t n)
{
    int64_t c = 0;
    for (int64_t i = 0; i < n; ++i) c += mask[i] != 0;
    return c;
}

#endif
