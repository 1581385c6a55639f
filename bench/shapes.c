/* bench/shapes.c: read layer shapes from bench/shapes.txt and from --shape */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

void scb_shapes_free(scb_shape_list *list)
{
    free(list->v);
    list->v = NULL;
    list->n = list->cap = 0;
}

static int push(scb_shape_list *list, const scb_shape *s)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 64;
        scb_shape *v = realloc(list->v, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "sconv-bench: out of memory reading shapes\n");
            return -1;
        }
        list->v = v;
        list->cap = cap;
    }
    list->v[list->n++] = *s;
    return 0;
}

int scb_shape_check(const scb_shape *s)
{
    if (s->cin < 1 || s->cout < 1 || s->h < 1 || s->w < 1 || s->kh < 1 || s->kw < 1 ||
        s->stride < 1 || s->pad < 0 || s->dil < 1 || s->groups < 1) {
        fprintf(stderr, "sconv-bench: layer %s: extents, kernel, stride, dilation, groups must be "
                        ">= 1 and pad >= 0\n", s->name);
        return -1;
    }
    if (s->cin % s->groups || s->cout % s->groups) {
        fprintf(stderr, "sconv-bench: layer %s: groups %lld must divide cin %lld and cout %lld\n",
                s->name, (long long)s->groups, (long long)s->cin, (long long)s->cout);
        return -1;
    }
    if (s->h + 2 * s->pad < s->dil * (s->kh - 1) + 1 || s->w + 2 * s->pad < s->dil * (s->kw - 1) + 1) {
        fprintf(stderr, "sconv-bench: layer %s: the %lldx%lld kernel (dilation %lld) does not fit "
                        "the padded %lldx%lld input\n", s->name, (long long)s->kh, (long long)s->kw,
                (long long)s->dil, (long long)(s->h + 2 * s->pad), (long long)(s->w + 2 * s->pad));
        return -1;
    }
    return 0;
}

int scb_shape_parse(const char *text, scb_shape *out)
{
    int64_t v[10] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    int n = 0;
    const char *p = text;
    while (*p && n < 10) {
        char *end;
        errno = 0;
        long long x = strtoll(p, &end, 10);
        if (end == p || errno) break;
        v[n++] = x;
        p = end;
        if (*p == ',') p++;
        else break;
    }
    if (*p || n < 8) {
        fprintf(stderr, "sconv-bench: --shape '%s': expected CIN,COUT,H,W,KH,KW,STRIDE,PAD"
                        "[,DILATION[,GROUPS]] (8 to 10 integers)\n", text);
        return -1;
    }
    scb_shape s;
    memset(&s, 0, sizeof s);
    snprintf(s.set, sizeof s.set, "custom");
    snprintf(s.name, sizeof s.name, "custom_%lldx%lld_%lldx%lld_k%lldx%lld_s%lld",
             (long long)v[0], (long long)v[1], (long long)v[2], (long long)v[3],
             (long long)v[4], (long long)v[5], (long long)v[6]);
    s.cin = v[0]; s.cout = v[1]; s.h = v[2]; s.w = v[3]; s.kh = v[4]; s.kw = v[5];
    s.stride = v[6]; s.pad = v[7]; s.dil = v[8]; s.groups = v[9];
    if (scb_shape_check(&s)) return -1;
    *out = s;
    return 0;
}

int scb_shapes_load(const char *path, scb_shape_list *list)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "sconv-bench: cannot open shapes file %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *q = line;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
        if (!*q) continue;
        scb_shape s;
        long long c[11];
        memset(&s, 0, sizeof s);
        int got = sscanf(q, "%31s %63s %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld",
                         s.set, s.name, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7],
                         &c[8], &c[9], &c[10]);
        if (got != 13) {
            fprintf(stderr, "%s:%d: expected 13 fields (set name cin cout h w kh kw stride pad "
                            "dilation groups quick), got %d\n", path, lineno, got);
            rc = -1;
            break;
        }
        s.cin = c[0]; s.cout = c[1]; s.h = c[2]; s.w = c[3]; s.kh = c[4]; s.kw = c[5];
        s.stride = c[6]; s.pad = c[7]; s.dil = c[8]; s.groups = c[9]; s.quick = c[10] != 0;
        for (size_t i = 0; i < list->n; i++)
            if (strcmp(list->v[i].name, s.name) == 0) {
                fprintf(stderr, "%s:%d: layer name %s used twice\n", path, lineno, s.name);
                rc = -1;
            }
        if (rc == 0 && scb_shape_check(&s)) {
            fprintf(stderr, "%s:%d: invalid layer\n", path, lineno);
            rc = -1;
        }
        if (rc == 0) rc = push(list, &s);
    }
    fclose(f);
    return rc;
}

void scb_shape_family(const char *set, int64_t kh, int64_t kw, int64_t stride, char *buf,
                      size_t cap)
{
    if (stride > 1)
        snprintf(buf, cap, "%s %lldx%lld/%lld", set, (long long)kh, (long long)kw,
                 (long long)stride);
    else
        snprintf(buf, cap, "%s %lldx%lld", set, (long long)kh, (long long)kw);
}
