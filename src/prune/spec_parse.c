/* src/prune/spec_parse.c: method strings ("l1", "block:4x1:l2", "nm:2:4", ...) -> spec */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "prune/prune_impl.h"

#define MAX_FIELDS 4

/* A positive decimal integer spanning [s, end) exactly, at most 2^31 - 1. */
static bool parse_positive(const char *s, const char *end, int64_t *out)
{
    if (s == end || *s < '0' || *s > '9') return false;
    errno = 0;
    char *stop = NULL;
    const long long v = strtoll(s, &stop, 10);
    if (errno != 0 || stop != end || v < 1 || v > INT32_MAX) return false;
    *out = v;
    return true;
}

/* Split a copy of text at ':' into at most MAX_FIELDS fields; false if there are more. */
static int split(char *copy, char *field[MAX_FIELDS])
{
    int n = 0;
    for (char *p = copy;; ++p) {
        if (n == MAX_FIELDS) return -1;
        field[n++] = p;
        p = strchr(p, ':');
        if (!p) return n;
        *p = '\0';
    }
}

static bool parse_score(const char *s, sc_block_score *out)
{
    if (!strcasecmp(s, "l1")) *out = SC_SCORE_L1;
    else if (!strcasecmp(s, "l2")) *out = SC_SCORE_L2;
    else if (!strcasecmp(s, "mean")) *out = SC_SCORE_MEAN;
    else return false;
    return true;
}

static sc_status bad(const char *method, const char *why)
{
    return sc_fail(SC_EINVAL, "prune method '%s': %s; expected l1, per-filter, global, "
                   "block:RxC[:l1|l2|mean], nm:N:M, filter[:l1|l2] or threshold", method, why);
}

sc_status sc_prune_spec_parse(const char *method, sc_prune_spec *spec)
{
    if (!spec) return sc_fail(SC_EINVAL, "prune method: spec is NULL");
    if (!method) return bad("(null)", "no method");
    char copy[64], *f[MAX_FIELDS];
    if (strlen(method) >= sizeof copy) return bad(method, "too long");
    strcpy(copy, method);
    const int nf = split(copy, f);
    if (nf < 0) return bad(method, "too many ':' fields");
    sc_prune_spec s = *spec;
    if (nf == 1 && !strcasecmp(f[0], "l1")) {
        s.method = SC_PRUNE_L1;
    } else if (nf == 1 && (!strcasecmp(f[0], "per-filter") || !strcasecmp(f[0], "per_filter"))) {
        s.method = SC_PRUNE_PER_FILTER;
    } else if (nf == 1 && !strcasecmp(f[0], "global")) {
        s.method = SC_PRUNE_GLOBAL;
    } else if (nf == 1 && !strcasecmp(f[0], "threshold")) {
        s.method = SC_PRUNE_THRESHOLD;
    } else if (!strcasecmp(f[0], "filter")) {
        s.method = SC_PRUNE_FILTER;
        if (nf > 2) return bad(method, "filter takes one norm");
        if (nf == 1 || !strcasecmp(f[1], "l2")) s.norm_p = 2.0;
        else if (!strcasecmp(f[1], "l1")) s.norm_p = 1.0;
        else return bad(method, "the filter norm must be l1 or l2");
    } else if (!strcasecmp(f[0], "nm")) {
        s.method = SC_PRUNE_NM;
        if (nf != 3 || !parse_positive(f[1], f[1] + strlen(f[1]), &s.n) ||
            !parse_positive(f[2], f[2] + strlen(f[2]), &s.m))
            return bad(method, "N:M needs two positive integers, nm:N:M");
        if (s.n > s.m) return bad(method, "N must not exceed M");
    } else if (!strcasecmp(f[0], "block")) {
        s.method = SC_PRUNE_BLOCK;
        if (nf < 2 || nf > 3) return bad(method, "block needs a size RxC and an optional score");
        const char *x = strpbrk(f[1], "xX");
        if (!x || !parse_positive(f[1], x, &s.block_r) ||
            !parse_positive(x + 1, x + 1 + strlen(x + 1), &s.block_c))
            return bad(method, "the block size must be RxC with positive integers");
        s.block_score = SC_SCORE_L1;
        if (nf == 3 && !parse_score(f[2], &s.block_score))
            return bad(method, "the block score must be l1, l2 or mean");
    } else {
        return bad(method, "unknown method");
    }
    *spec = s;
    return SC_OK;
}
