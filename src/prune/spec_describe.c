/* src/prune/spec_describe.c: the method parameters as text for the .sconv method_params field */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "prune/prune_impl.h"
#include "sconv/layer.h"  /* SC_METHOD_MAX: the text goes to a layer's method_params */

typedef struct text {
    char buf[SC_METHOD_MAX * 2];
    size_t len;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
    if (t->len >= sizeof t->buf) return;
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
    va_end(ap);
    t->len = n < 0 ? sizeof t->buf : t->len + (size_t)n;
}

/* The shortest of %.15g / %.17g that reads back as the same double. */
static void add_real(text *t, const char *key, double v)
{
    char s[40];
    snprintf(s, sizeof s, "%.15g", v);
    if (strtod(s, NULL) != v) snprintf(s, sizeof s, "%.17g", v);
    add(t, "%s%s=%s", t->len ? " " : "", key, s);
}

static const char *const score_names[] = {"l1", "l2", "mean"};

sc_status sc_prune_spec_describe(const sc_prune_spec *spec, char *buf, size_t cap)
{
    sc_status st = sc_prune_spec_check(spec);
    if (st != SC_OK) return st;
    if (!buf) return sc_fail(SC_EINVAL, "prune describe: buffer is NULL");
    text t = {.len = 0};
    t.buf[0] = '\0';
    switch (spec->method) {
    case SC_PRUNE_BLOCK:
        add(&t, "block=%lldx%lld score=%s order=%s groups=%lld", (long long)spec->block_r,
            (long long)spec->block_c, score_names[spec->block_score],
            sc_pack_order_name(spec->order), (long long)spec->groups);
        break;
    case SC_PRUNE_NM:
        add(&t, "n=%lld m=%lld order=%s convention=%s", (long long)spec->n, (long long)spec->m,
            sc_pack_order_name(spec->order), sc_prune_convention_name(spec->convention));
        break;
    case SC_PRUNE_FILTER:
        add(&t, "norm=%s", spec->norm_p == 1.0 ? "l1" : "l2");
        break;
    case SC_PRUNE_THRESHOLD:
        add_real(&t, "threshold", spec->threshold);
        break;
    default:
        break;
    }
    if (spec->method != SC_PRUNE_NM && spec->method != SC_PRUNE_THRESHOLD) {
        if (spec->count >= 0) {  /* an exact count: the convention plays no part */
            add(&t, "%scount=%lld", t.len ? " " : "", (long long)spec->count);
        } else {
            add_real(&t, "amount", spec->amount);
            add(&t, " convention=%s", sc_prune_convention_name(spec->convention));
        }
    }
    if (t.len >= sizeof t.buf)
        return sc_fail(SC_EINVAL, "prune describe: text longer than %zu bytes", sizeof t.buf);
    if (t.len + 1 > cap)
        return sc_fail(SC_EINVAL, "prune describe: '%s' needs %zu bytes, the buffer has %zu",
                       t.buf, t.len + 1, cap);
    memcpy(buf, t.buf, t.len + 1);
    return SC_OK;
}
