/* src/prune/spec.c: the pruning spec: defaults, validation, method and convention names */
#include <math.h>
#include <strings.h>

#include "core/core.h"
#include "prune/prune_impl.h"

static const char *const method_names[] = {
    [SC_PRUNE_L1] = "l1",       [SC_PRUNE_PER_FILTER] = "per-filter",
    [SC_PRUNE_GLOBAL] = "global", [SC_PRUNE_BLOCK] = "block",
    [SC_PRUNE_NM] = "nm",       [SC_PRUNE_FILTER] = "filter",
    [SC_PRUNE_THRESHOLD] = "threshold",
};

sc_prune_spec sc_prune_spec_default(void)
{
    return (sc_prune_spec){.method = SC_PRUNE_L1, .amount = 0.0, .count = -1, .threshold = 0.0,
                           .convention = SC_CONV_TORCH, .block_r = 1, .block_c = 1,
                           .block_score = SC_SCORE_L1, .n = 2, .m = 4, .norm_p = 2.0,
                           .order = SC_PACK_CHW, .groups = 1};
}

const char *sc_prune_method_name(sc_prune_method method)
{
    return (unsigned)method <= SC_PRUNE_THRESHOLD ? method_names[method] : NULL;
}

const char *sc_prune_convention_name(sc_prune_convention convention)
{
    return convention == SC_CONV_TORCH ? "torch" : convention == SC_CONV_TFMOT ? "tfmot" : NULL;
}

sc_status sc_prune_convention_parse(const char *name, sc_prune_convention *out)
{
    if (!out) return sc_fail(SC_EINVAL, "prune convention parse: out must not be NULL");
    if (name && (!strcasecmp(name, "torch") || !strcasecmp(name, "pytorch"))) {
        *out = SC_CONV_TORCH;
        return SC_OK;
    }
    if (name && !strcasecmp(name, "tfmot")) {
        *out = SC_CONV_TFMOT;
        return SC_OK;
    }
    return sc_fail(SC_EINVAL, "prune convention '%s': expected torch or tfmot",
                   name ? name : "(null)");
}

static bool uses_amount(sc_prune_method m)
{
    return m != SC_PRUNE_NM && m != SC_PRUNE_THRESHOLD;
}

sc_status sc_prune_spec_check(const sc_prune_spec *s)
{
    if (!s) return sc_fail(SC_EINVAL, "prune: spec is NULL");
    if (!sc_prune_method_name(s->method))
        return sc_fail(SC_EINVAL, "prune: unknown method %d", (int)s->method);
    if ((uses_amount(s->method) || s->method == SC_PRUNE_NM) &&
        !sc_prune_convention_name(s->convention))  /* N:M groups follow the convention */
        return sc_fail(SC_EINVAL, "prune: unknown convention %d", (int)s->convention);
    if (uses_amount(s->method)) {
        if (s->count < -1)
            return sc_fail(SC_EINVAL, "prune: count %lld: must be >= 0 (or -1 to use the amount)",
                           (long long)s->count);
        if (s->count == -1 && !(s->amount >= 0.0 && s->amount <= 1.0))
            return sc_fail(SC_EINVAL, "prune: amount %g: must be in [0, 1]", s->amount);
    }
    switch (s->method) {
    case SC_PRUNE_BLOCK:
        if (s->block_r < 1 || s->block_c < 1)
            return sc_fail(SC_EINVAL, "prune: block %lldx%lld: both sides must be >= 1",
                           (long long)s->block_r, (long long)s->block_c);
        if ((unsigned)s->block_score > SC_SCORE_MEAN)
            return sc_fail(SC_EINVAL, "prune: unknown block score %d", (int)s->block_score);
        break;
    case SC_PRUNE_NM:
        if (s->n < 1 || s->m < s->n)
            return sc_fail(SC_EINVAL, "prune: N:M = %lld:%lld: need 1 <= N <= M",
                           (long long)s->n, (long long)s->m);
        break;
    case SC_PRUNE_FILTER:
        if (s->norm_p != 1.0 && s->norm_p != 2.0)
            return sc_fail(SC_EINVAL, "prune: filter norm p = %g: must be 1 or 2", s->norm_p);
        break;
    case SC_PRUNE_THRESHOLD:
        if (!(isfinite(s->threshold) && s->threshold >= 0.0))
            return sc_fail(SC_EINVAL, "prune: threshold %g: must be finite and >= 0",
                           s->threshold);
        break;
    default:
        break;
    }
    if (s->method == SC_PRUNE_BLOCK || s->method == SC_PRUNE_NM) {
        if (!sc_pack_order_name(s->order))
            return sc_fail(SC_EINVAL, "prune: unknown pack order %d", (int)s->order);
        if (s->groups < 1)
            return sc_fail(SC_EINVAL, "prune: groups = %lld: must be >= 1", (long long)s->groups);
    }
    return SC_OK;
}
