/* src/prune/select_radix.c: remove the k smallest units by (score, tie, index) in O(n), by radix */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "prune/prune_impl.h"

enum { DIGIT_BITS = 11, N_BUCKETS = 1 << DIGIT_BITS };  /* 16 KB of counts on the stack */

/* Units whose key & mask == prefix are still undecided; the `need` first of them in the
 * order remain to be removed, those below the prefix are removed, those above kept. */
typedef struct bound {
    uint64_t mask, prefix;
    int64_t need;
} bound;

/* Order-preserving map of a non-NaN double to uint64 under `<`. Equal under `==` means
 * equal keys: -0.0 joins 0.0 (and so does a denormal when the FPU treats it as zero). */
static inline uint64_t score_key(double s)
{
    assert(!isnan(s));
    s = s == 0.0 ? 0.0 : s;
    uint64_t b;
    memcpy(&b, &s, sizeof b);
    return b ^ (((uint64_t)0 - (b >> 63)) | (UINT64_C(1) << 63));  /* negatives: all bits flip */
}

static inline uint64_t tie_key(int64_t t)
{
    return (uint64_t)t ^ (UINT64_C(1) << 63);
}

/* Pin the next digit below b's mask: count the undecided units per digit and step over the
 * buckets that the remaining removals consume whole. */
static void narrow(const double *score, const int64_t *tie, uint64_t score_k, int64_t n,
                   int lo, bound *b)
{
    int64_t hist[N_BUCKETS] = {0};
    const uint64_t mask = b->mask, prefix = b->prefix, digit_mask = N_BUCKETS - 1;
    if (!tie) {
        for (int64_t u = 0; u < n; ++u) {
            const uint64_t k = score_key(score[u]);
            if ((k & mask) == prefix) hist[(k >> lo) & digit_mask] += 1;
        }
    } else {  /* the tie level: only units at the boundary score take part */
        for (int64_t u = 0; u < n; ++u) {
            const uint64_t k = tie_key(tie[u]);
            if (score_key(score[u]) == score_k && (k & mask) == prefix)
                hist[(k >> lo) & digit_mask] += 1;
        }
    }
    uint64_t d = 0;
    int64_t below = 0;
    while (below + hist[d] <= b->need) below += hist[d++];  /* need < the bucket's count */
    b->need -= below;
    b->prefix |= d << lo;
    b->mask |= digit_mask << lo;
}

/* Digits from the top until the boundary key is pinned (full mask) or no removal is left
 * in the undecided bucket; the last digit is the 9 low bits. */
static void pin(const double *score, const int64_t *tie, uint64_t score_k, int64_t n, bound *b)
{
    for (int hi = 64; hi > 0 && b->need > 0; hi -= DIGIT_BITS) {
        const int lo = hi > DIGIT_BITS ? hi - DIGIT_BITS : 0;
        narrow(score, tie, score_k, n, lo, b);
        if (lo == 0) b->mask = ~UINT64_C(0);
    }
}

/* -1, 0, 1 as the key is below, inside or above b's undecided bucket. */
static inline int side(uint64_t k, const bound *b)
{
    const uint64_t m = k & b->mask;
    return (m > b->prefix) - (m < b->prefix);
}

/* The same keep table as sc_prune_select_sorted, for non-NaN scores: the order is score,
 * then tie (NULL: skipped), then index (the merge sort is stable). keep_ties keeps every
 * unit at the boundary score, so it only needs the score level. */
sc_status sc_prune_select(const double *score, const int64_t *tie, int64_t n, int64_t n_remove,
                          bool keep_ties, uint8_t *keep)
{
    if (n_remove <= 0 || n_remove >= n) {
        memset(keep, n_remove <= 0, (size_t)(n > 0 ? n : 0));
        return SC_OK;
    }
    bound s = {.mask = 0, .prefix = 0, .need = n_remove};
    pin(score, NULL, 0, n, &s);
    bound t = {.mask = 0, .prefix = 0, .need = s.need};  /* removals among the boundary score */
    if (tie && !keep_ties && s.need > 0) pin(score, tie, s.prefix, n, &t);
    int64_t left = t.need;  /* removals by index among the boundary (score, tie) */
    for (int64_t u = 0; u < n; ++u) {
        const int cmp = side(score_key(score[u]), &s);
        if (cmp != 0 || keep_ties || s.need == 0) {
            keep[u] = cmp >= 0;
            continue;
        }
        const int cmp_t = tie ? side(tie_key(tie[u]), &t) : 0;
        if (cmp_t != 0 || t.need == 0) {
            keep[u] = cmp_t >= 0;
            continue;
        }
        keep[u] = left == 0;
        left -= left > 0;
    }
    return SC_OK;
}
