/* src/prune/select_topk.c: rank units by (score, tie) and remove the k smallest: the reference */
#include <string.h>

#include "core/core.h"
#include "prune/prune_impl.h"

static inline bool before(const double *score, const int64_t *tie, int64_t a, int64_t b)
{
    if (score[a] != score[b]) return score[a] < score[b];
    return tie ? tie[a] < tie[b] : a < b;
}

/* Bottom-up merge sort of the ids 0..n-1 under the total order (score, tie): the result
 * does not depend on the sort's stability, and ties never depend on the platform. */
void sc_prune_rank(const double *score, const int64_t *tie, int64_t n, int64_t *order,
                   int64_t *scratch)
{
    for (int64_t u = 0; u < n; ++u) order[u] = u;
    int64_t *src = order, *dst = scratch;
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            const int64_t mid = lo + width < n ? lo + width : n;
            const int64_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t a = lo, b = mid, out = lo;
            while (a < mid && b < hi)
                dst[out++] = before(score, tie, src[b], src[a]) ? src[b++] : src[a++];
            while (a < mid) dst[out++] = src[a++];
            while (b < hi) dst[out++] = src[b++];
        }
        int64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != order) memcpy(order, src, (size_t)n * sizeof *order);
}

void sc_prune_select_ranked(const double *score, const int64_t *order, int64_t n,
                            int64_t n_remove, bool keep_ties, uint8_t *keep)
{
    for (int64_t r = 0; r < n; ++r) keep[order[r]] = r >= n_remove;
    if (keep_ties && n_remove > 0 && n_remove < n) {
        /* TF-MOT keeps |w| >= the k-th largest: walk back over the tied removals */
        const double threshold = score[order[n_remove]];
        for (int64_t r = n_remove - 1; r >= 0 && score[order[r]] == threshold; --r)
            keep[order[r]] = 1;
    }
}

sc_status sc_prune_select_sorted(const double *score, const int64_t *tie, int64_t n,
                                 int64_t n_remove, bool keep_ties, uint8_t *keep)
{
    void *order_mem = NULL, *scratch_mem = NULL;
    sc_status st = sc_alloc_array(&order_mem, (size_t)n, sizeof(int64_t), false, "prune ranking");
    if (st == SC_OK)
        st = sc_alloc_array(&scratch_mem, (size_t)n, sizeof(int64_t), false, "prune ranking");
    int64_t *order = order_mem, *scratch = scratch_mem;
    if (st == SC_OK) {
        sc_prune_rank(score, tie, n, order, scratch);
        sc_prune_select_ranked(score, order, n, n_remove, keep_ties, keep);
    }
    sc_free(order);
    sc_free(scratch);
    return st;
}
