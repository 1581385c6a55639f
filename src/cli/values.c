/* src/cli/values.c: parsing option values: numbers, lists, layouts, conv parameters */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "core/core.h"

/* [s, end) as a string in buf (cap bytes); false when empty or too long for it. */
static bool copy_span(char *buf, size_t cap, const char *s, const char *end)
{
    const size_t len = (size_t)(end - s);
    if (len == 0 || len >= cap) return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return true;
}

/* strtoll on the whole of [s, end) only; false on junk, empty text or overflow. */
static bool to_int(const char *s, const char *end, int64_t *out)
{
    char buf[32];
    if (!copy_span(buf, sizeof buf, s, end)) return false;
    char *stop;
    errno = 0;
    long long v = strtoll(buf, &stop, 10);
    if (errno != 0 || *stop != '\0' || stop == buf) return false;
    *out = (int64_t)v;
    return true;
}

int cli_parse_int(const cli_cmd *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                  int64_t *out)
{
    int64_t v;
    if (!to_int(s, s + strlen(s), &v))
        return cli_usage_error(cmd, "%s '%s': expected an integer", opt, s);
    if (v < lo || v > hi)
        return cli_usage_error(cmd, "%s %lld: must be in [%lld, %lld]", opt, (long long)v,
                               (long long)lo, (long long)hi);
    *out = v;
    return CLI_OK;
}

static bool to_double(const char *s, const char *end, double *out)
{
    char buf[64];
    if (!copy_span(buf, sizeof buf, s, end)) return false;
    char *stop;
    errno = 0;
    double v = strtod(buf, &stop);
    if (errno == ERANGE || *stop != '\0' || stop == buf || !isfinite(v)) return false;
    *out = v;
    return true;
}

int cli_parse_double(const cli_cmd *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out)
{
    double v;
    if (!to_double(s, s + strlen(s), &v))
        return cli_usage_error(cmd, "%s '%s': expected a finite number", opt, s);
    if (v < lo || v > hi)
        return cli_usage_error(cmd, "%s %g: must be in [%g, %g]", opt, v, lo, hi);
    *out = v;
    return CLI_OK;
}

int cli_parse_double_list(const cli_cmd *cmd, const char *opt, const char *s, double lo,
                          double hi, double **out, int *n)
{
    int count = 1;
    for (const char *p = s; *p; ++p) count += *p == ',';
    double *v = sc_calloc((size_t)count, sizeof *v);
    if (!v) return cli_error(cmd, CLI_DATA, "%s: out of memory", opt);
    const char *p = s;
    for (int i = 0; i < count; ++i) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        if (!to_double(p, end, &v[i])) {
            sc_free(v);
            return cli_usage_error(cmd, "%s '%s': item %d '%.*s' is not a number", opt, s,
                                   i + 1, (int)(end - p), p);
        }
        if (v[i] < lo || v[i] > hi) {
            const double bad = v[i];
            sc_free(v);
            return cli_usage_error(cmd, "%s: %g must be in [%g, %g]", opt, bad, lo, hi);
        }
        p = end + 1;
    }
    *out = v;
    *n = count;
    return CLI_OK;
}

int cli_parse_pair(const cli_cmd *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                   int64_t *a, int64_t *b)
{
    const char *sep = strpbrk(s, "x,");
    int64_t va, vb;
    bool ok = sep ? to_int(s, sep, &va) && to_int(sep + 1, sep + 1 + strlen(sep + 1), &vb)
                  : to_int(s, s + strlen(s), &va);
    if (!sep) vb = va;
    if (!ok) return cli_usage_error(cmd, "%s '%s': expected N or HxW (integers)", opt, s);
    if (va < lo || va > hi || vb < lo || vb > hi)
        return cli_usage_error(cmd, "%s '%s': each value must be in [%lld, %lld]", opt, s,
                               (long long)lo, (long long)hi);
    *a = va;
    *b = vb;
    return CLI_OK;
}

int cli_parse_wlayout(const cli_cmd *cmd, const char *opt, const char *s, sc_wlayout *out)
{
    if (sc_wlayout_parse(s, out) != SC_OK)
        return cli_usage_error(cmd, "%s '%s': expected oihw, hwio or ohwi", opt, s);
    return CLI_OK;
}

int cli_parse_alayout(const cli_cmd *cmd, const char *opt, const char *s, bool *nhwc)
{
    if (strcasecmp(s, "nchw") == 0) *nhwc = false;
    else if (strcasecmp(s, "nhwc") == 0) *nhwc = true;
    else return cli_usage_error(cmd, "%s '%s': expected nchw or nhwc", opt, s);
    return CLI_OK;
}

int cli_parse_engine(const cli_cmd *cmd, const char *s, sc_engine *out)
{
    if (strcasecmp(s, "auto") == 0) *out = SC_ENGINE_AUTO;
    else if (strcasecmp(s, "sparse") == 0) *out = SC_ENGINE_SPARSE;
    else if (strcasecmp(s, "dense") == 0) *out = SC_ENGINE_DENSE;
    else return cli_usage_error(cmd, "--engine '%s': expected auto, sparse or dense", s);
    return CLI_OK;
}

int cli_parse_act(const cli_cmd *cmd, const char *s, sc_activation *out)
{
    if (strcasecmp(s, "none") == 0) *out = sc_activation_none();
    else if (strcasecmp(s, "relu") == 0) *out = sc_activation_relu();
    else if (strcasecmp(s, "relu6") == 0) *out = sc_activation_relu6();
    else return cli_usage_error(cmd, "--act '%s': expected none, relu or relu6", s);
    return CLI_OK;
}

#define PARAM_LIMIT ((int64_t)1 << 30)

/* "P" (all sides), "PH,PW" / "PHxPW" (top=bottom, left=right) or "T,L,B,R". */
static int parse_pad(const cli_cmd *cmd, const char *s, sc_conv_params *p)
{
    int64_t v[4];
    int n = 0;
    const char *q = s;
    bool ok = true;
    while (ok && n < 4) {
        const char *end = strpbrk(q, ",x");
        if (!end) end = q + strlen(q);
        ok = to_int(q, end, &v[n++]);
        if (*end == '\0') break;
        q = end + 1;
        if (n == 4) ok = false;  /* a fifth item */
    }
    if (!ok || n == 3)
        return cli_usage_error(cmd, "--pad '%s': expected P, PH,PW or T,L,B,R (integers)", s);
    for (int i = 0; i < n; ++i)
        if (v[i] < 0 || v[i] > PARAM_LIMIT)
            return cli_usage_error(cmd, "--pad '%s': each value must be in [0, %lld]", s,
                                   (long long)PARAM_LIMIT);
    if (n == 1) p->pad_top = p->pad_left = p->pad_bottom = p->pad_right = v[0];
    if (n == 2) {
        p->pad_top = p->pad_bottom = v[0];
        p->pad_left = p->pad_right = v[1];
    }
    if (n == 4) {
        p->pad_top = v[0];
        p->pad_left = v[1];
        p->pad_bottom = v[2];
        p->pad_right = v[3];
    }
    return CLI_OK;
}

int cli_parse_conv_params(const cli_cmd *cmd, const cli_args *a, int o_stride, int o_pad,
                          int o_dil, int o_groups, sc_conv_params *p)
{
    *p = sc_conv_params_default();
    const char *s;
    int code = CLI_OK;
    if (code == CLI_OK && o_stride >= 0 && (s = cli_get(a, o_stride)))
        code = cli_parse_pair(cmd, "--stride", s, 1, PARAM_LIMIT, &p->stride_h, &p->stride_w);
    if (code == CLI_OK && o_pad >= 0 && (s = cli_get(a, o_pad))) code = parse_pad(cmd, s, p);
    if (code == CLI_OK && o_dil >= 0 && (s = cli_get(a, o_dil)))
        code = cli_parse_pair(cmd, "--dilation", s, 1, PARAM_LIMIT, &p->dil_h, &p->dil_w);
    if (code == CLI_OK && o_groups >= 0 && (s = cli_get(a, o_groups)))
        code = cli_parse_int(cmd, "--groups", s, 1, PARAM_LIMIT, &p->groups);
    return code;
}

void cli_format_params(const sc_conv_params *p, char *buf, size_t cap)
{
    snprintf(buf, cap, "stride %lldx%lld, pad %lld,%lld,%lld,%lld (top,left,bottom,right), "
             "dilation %lldx%lld, groups %lld", (long long)p->stride_h, (long long)p->stride_w,
             (long long)p->pad_top, (long long)p->pad_left, (long long)p->pad_bottom,
             (long long)p->pad_right, (long long)p->dil_h, (long long)p->dil_w,
             (long long)p->groups);
}
