/* bench/csv.c: the result CSV: the header of the bench issue plus extra columns, writer and reader */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* The first 25 names are the contract of the bench issue (scripts rely on them). */
static const char *const columns[] = {
    "layer", "cin", "cout", "h", "w", "kh", "kw", "stride", "pad", "dilation", "groups", "batch",
    "layout", "threads", "sparsity", "method", "engine", "ms_median", "ms_min", "ms_max",
    "gflops_effective", "gflops_nonzero", "pct_peak", "speedup_vs_onednn", "max_rel_err",
    /* extra */
    "speedup_vs_xnnpack", "ms_stddev", "status", "work", "nnz", "reps", "inner", "peak_gflops",
    "load1", "set", "family", "cpu", "note", "isa", "peak_isa_gflops", "peak_avx512_gflops",
    "speedup_vs_best_dense",
};
enum { N_COLS = sizeof columns / sizeof columns[0] };

void scb_csv_header(FILE *f)
{
    for (int i = 0; i < N_COLS; i++) fprintf(f, "%s%s", i ? "," : "", columns[i]);
    fputc('\n', f);
}

static void put_num(FILE *f, double v, const char *fmt)
{
    fputc(',', f);
    if (isfinite(v)) fprintf(f, fmt, v);
    else if (isinf(v)) fputs("inf", f);
}

/* Quote a text field when it holds a comma, quote or newline (RFC 4180). */
static void put_text(FILE *f, const char *s, int first)
{
    if (!first) fputc(',', f);
    if (strpbrk(s, ",\"\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
    fputc('"', f);
}

void scb_csv_write(FILE *f, const scb_row *r)
{
    put_text(f, r->layer, 1);
    fprintf(f, ",%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld", (long long)r->cin,
            (long long)r->cout, (long long)r->h, (long long)r->w, (long long)r->kh,
            (long long)r->kw, (long long)r->stride, (long long)r->pad, (long long)r->dil,
            (long long)r->groups, (long long)r->batch);
    put_text(f, r->layout, 0);
    fprintf(f, ",%d,%g", r->threads, r->sparsity);
    put_text(f, r->method, 0);
    put_text(f, r->engine, 0);
    put_num(f, r->ms_median, "%.6g");
    put_num(f, r->ms_min, "%.6g");
    put_num(f, r->ms_max, "%.6g");
    put_num(f, r->gflops_effective, "%.4g");
    put_num(f, r->gflops_nonzero, "%.4g");
    put_num(f, r->pct_peak, "%.4g");
    put_num(f, r->speedup_vs_onednn, "%.4g");
    put_num(f, r->max_rel_err, "%.3g");
    put_num(f, r->speedup_vs_xnnpack, "%.4g");
    put_num(f, r->ms_stddev, "%.4g");
    put_text(f, r->status, 0);
    put_text(f, r->work, 0);
    fprintf(f, ",%lld,%d,%d", (long long)r->nnz, r->reps, r->inner);
    put_num(f, r->peak_gflops, "%.4g");
    put_num(f, r->load1, "%.2f");
    put_text(f, r->set, 0);
    put_text(f, r->family, 0);
    put_text(f, r->cpu, 0);
    put_text(f, r->note, 0);
    put_text(f, r->isa, 0);
    put_num(f, r->peak_isa_gflops, "%.4g");
    put_num(f, r->peak_avx512_gflops, "%.4g");
    put_num(f, r->speedup_vs_best_dense, "%.4g");
    fputc('\n', f);
    fflush(f);
}

/* Split one CSV line into at most max fields (in place; quotes removed). */
static int split(char *line, char **field, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max) return n;
        char *out = p;
        field[n++] = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0') break;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p && *p != ',') p++;
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r') *out++ = *p++;
        }
        int more = *p == ',';
        *out = '\0';
        if (!more) return n;
        p++;
    }
}

static double num(const char *s)
{
    if (!s || !*s) return NAN;
    return strtod(s, NULL);  /* "inf" parses as infinity */
}

#define TEXT(dst, s) snprintf(dst, sizeof dst, "%s", (s) ? (s) : "")

int scb_csv_read(const char *path, scb_row **rows_out, size_t *n_out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "sconv-bench: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096];
    char *field[64];
    int idx[N_COLS];
    scb_row *rows = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    if (!fgets(line, sizeof line, f)) {
        fprintf(stderr, "sconv-bench: %s is empty\n", path);
        goto done;
    }
    int nf = split(line, field, 64);
    for (int c = 0; c < N_COLS; c++) {
        idx[c] = -1;
        for (int j = 0; j < nf; j++)
            if (strcmp(field[j], columns[c]) == 0) idx[c] = j;
        if (idx[c] < 0 && c < 25) {
            fprintf(stderr, "sconv-bench: %s: column %s missing from the header\n", path,
                    columns[c]);
            goto done;
        }
    }
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\n' || line[0] == '\0') continue;
        nf = split(line, field, 64);
        const char *v[N_COLS];
        for (int c = 0; c < N_COLS; c++) v[c] = idx[c] >= 0 && idx[c] < nf ? field[idx[c]] : NULL;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            scb_row *grown = realloc(rows, cap * sizeof *rows);
            if (!grown) {
                fprintf(stderr, "sconv-bench: out of memory reading %s\n", path);
                goto done;
            }
            rows = grown;
        }
        scb_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        TEXT(r->layer, v[0]);
        int64_t *dims[] = {&r->cin, &r->cout, &r->h, &r->w, &r->kh, &r->kw, &r->stride, &r->pad,
                           &r->dil, &r->groups, &r->batch};
        for (int d = 0; d < 11; d++) *dims[d] = v[1 + d] ? strtoll(v[1 + d], NULL, 10) : 0;
        TEXT(r->layout, v[12]);
        r->threads = v[13] ? atoi(v[13]) : 0;
        r->sparsity = num(v[14]);
        TEXT(r->method, v[15]);
        TEXT(r->engine, v[16]);
        double *nums[] = {&r->ms_median, &r->ms_min, &r->ms_max, &r->gflops_effective,
                          &r->gflops_nonzero, &r->pct_peak, &r->speedup_vs_onednn,
                          &r->max_rel_err, &r->speedup_vs_xnnpack, &r->ms_stddev};
        for (int d = 0; d < 10; d++) *nums[d] = num(v[17 + d]);
        TEXT(r->status, v[27] ? v[27] : "ok");
        TEXT(r->work, v[28]);
        r->nnz = v[29] ? strtoll(v[29], NULL, 10) : 0;
        r->reps = v[30] ? atoi(v[30]) : 0;
        r->inner = v[31] ? atoi(v[31]) : 0;
        r->peak_gflops = num(v[32]);
        r->load1 = num(v[33]);
        TEXT(r->set, v[34]);
        TEXT(r->family, v[35]);
        TEXT(r->cpu, v[36]);
        TEXT(r->note, v[37]);
        TEXT(r->isa, v[38]);
        r->peak_isa_gflops = num(v[39]);
        r->peak_avx512_gflops = num(v[40]);
        r->speedup_vs_best_dense = num(v[41]);
        if (!r->family[0]) scb_shape_family(r->set[0] ? r->set : "custom", r->kh, r->kw, r->stride,
                                            r->family, sizeof r->family);
    }
    /* a CSV from before the column: the same ratio from its onednn rows */
    if (idx[41] < 0) scb_fill_best_dense(rows, n);
    *rows_out = rows;
    *n_out = n;
    rows = NULL;
    rc = 0;
done:
    free(rows);
    fclose(f);
    return rc;
}
