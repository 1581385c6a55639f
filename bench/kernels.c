/* bench/kernels.c: sconv-kernel-bench, every SpMM and weight-gradient kernel of the lists on synthetic weights, CSV */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "sparse/ukernels/spmm.h"
#include "sparse/weight_grad_kernels.h"

/* One problem: OC output channels, K input rows of P pixels, each (channel or 4-channel
 * group, row) kept with probability density. Row r starts (r % shift) floats past a
 * 64-byte boundary: shift 1 aligns every row, 3 misaligns two rows in three as the kw taps
 * of a 3x3 layer's phase planes do. */
typedef struct kb_opts {
    int oc, k, pixels, reps, shift;
    double densities[8];
    int n_dens;
} kb_opts;

static uint64_t rng = 88172645463325252ull;
static double uniform(void)  /* [0, 1), xorshift64 */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int parse_list(const char *s, double *out, int max)
{
    int n = 0;
    for (char *end; *s && n < max; s = *end == ',' ? end + 1 : end) {
        out[n] = strtod(s, &end);
        if (end == s || out[n] <= 0 || out[n] > 1) return -1;
        ++n;
        if (*end != ',' && *end) return -1;
    }
    return n;
}

static int parse_args(int argc, char **argv, kb_opts *o)
{
    *o = (kb_opts){.oc = 64, .k = 256, .pixels = 3136, .reps = 20, .shift = 1,
                   .densities = {0.05, 0.1, 0.2, 0.5}, .n_dens = 4};
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *target = !strcmp(a, "--oc") ? &o->oc : !strcmp(a, "--k") ? &o->k
                    : !strcmp(a, "--pixels") ? &o->pixels : !strcmp(a, "--reps") ? &o->reps
                    : !strcmp(a, "--shift") ? &o->shift : NULL;
        if (target && v) {
            *target = atoi(v);
            ++i;
        } else if (!strcmp(a, "--densities") && v) {
            o->n_dens = parse_list(v, o->densities, 8);
            ++i;
        } else {
            fprintf(stderr, "usage: %s [--oc N] [--k N] [--pixels N] [--reps N] "
                    "[--shift N] [--densities d1,d2,...]\n", argv[0]);
            return -1;
        }
    }
    if (o->oc < 4 || o->oc % 4 || o->k < 1 || o->pixels < 1 || o->reps < 1 || o->n_dens < 1 ||
        o->shift < 1 || o->shift > 16 ||
        o->k > 1 << 16 || o->pixels > 1 << 20 || o->oc > 1 << 12 ||
        (int64_t)o->k * (o->pixels + 103) * 4 > INT32_MAX) {
        fprintf(stderr, "%s: need oc a positive multiple of 4 (<= 4096), 1 <= k <= 65536, "
                "1 <= pixels <= 2^20, k * (pixels + 72) * 4 within the kernels' 32-bit byte "
                "offsets, reps >= 1, 1 <= shift <= 16, densities in (0, 1]\n", argv[0]);
        return -1;
    }
    return 0;
}

static void print_row(const char *family, const char *name, sc_cpu_set need, size_t mr,
                      size_t rows, double density, long long useful, long long dense,
                      const kb_opts *o, double s)
{
    const double per = s / o->reps;
    printf("%s,%s,%#x,%zu,%zu,%.3f,%lld,%d,%d,%.6f,%.3f,%.3f\n", family, name, (unsigned)need,
           mr, rows, density, useful, o->pixels, o->reps, per * 1e3,
           2.0 * (double)useful * o->pixels / per * 1e-9,
           2.0 * (double)dense * o->pixels / per * 1e-9);
}

/* The kernel over all pixels of the problem in tiles of its width (the rest at its smallest
 * accepted width or skipped), reps times. */
static int bench_spmm(const sc_spmm_info *k, const kb_opts *o, double density)
{
    const size_t R = k->rows, OC = (size_t)o->oc, K = (size_t)o->k, P = (size_t)o->pixels;
    /* each row readable up to a whole tile (and its shift) past P, rows 64-byte aligned */
    const size_t stride = (P + 72 + 16 + 15) / 16 * 16;
    float *x = aligned_alloc(64, K * stride * sizeof *x), *y = malloc(OC * stride * sizeof *y);
    float *w = malloc(OC * (K + 1) * sizeof *w);
    int32_t *off = malloc(OC * K * sizeof *off);
    uint32_t *nnz = calloc(OC, sizeof *nnz);
    if (!x || !y || !w || !off || !nnz) {
        free(x), free(y), free(w), free(off), free(nnz);
        fprintf(stderr, "sconv-kernel-bench: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < K * stride; ++i) x[i] = (float)(2 * uniform() - 1);
    size_t wp = 0, op = 0;
    long long useful = 0;
    for (size_t g = 0; g < OC; g += R) {
        for (size_t q = 0; q < R; ++q) w[wp++] = 0.125f;
        for (size_t r = 0; r < K; ++r)
            if (uniform() < density) {
                for (size_t q = 0; q < R; ++q) w[wp++] = (float)(2 * uniform() - 1);
                off[op++] = (int32_t)((r * stride + r % (size_t)o->shift) * 4);
                nnz[g] += 1;
                useful += (long long)R;
            }
        if (R == 1) continue;
        for (size_t q = 1; q < R; ++q) nnz[g + q] = nnz[g];
    }
    const sc_spmm_params prm = {.load_y = 0, .clamp = 0, .lo = 0.0f, .hi = 0.0f};
    const size_t mr = k->mr, full = P / mr * mr, rest = P - full;
    const int tail = rest >= sc_spmm_min_mr(k);
    k->fn(mr, OC, x, w, off, nnz, y, stride * 4, &prm);  /* warm-up */
    const double t0 = sc_now_s();
    for (int r = 0; r < o->reps; ++r) {
        for (size_t p = 0; p < full; p += mr)
            k->fn(mr, OC, x + p, w, off, nnz, y + p, stride * 4, &prm);
        if (rest && tail) k->fn(rest, OC, x + full, w, off, nnz, y + full, stride * 4, &prm);
    }
    const double s = sc_now_s() - t0;
    kb_opts done = *o;
    done.pixels = (int)(full + (tail ? rest : 0));
    print_row(R == 1 ? "spmm_rows" : "spmm_blocks", k->name, k->need, mr, R, density, useful,
              (long long)(OC * K), &done, s);
    free(x), free(y), free(w), free(off), free(nnz);
    return 0;
}

/* The weight-gradient dot of one channel's sampled nonzeros over all pixels, for each of
 * OC channels, reps times. */
static int bench_wgrad(const sc_wgrad_dot_info *k, const kb_opts *o, double density)
{
    const size_t OC = (size_t)o->oc, K = (size_t)o->k, P = (size_t)o->pixels;
    float *x = malloc(K * P * sizeof *x), *y = malloc(OC * P * sizeof *y);
    float *sums = malloc(K * sizeof *sums);
    int64_t *off = malloc(OC * K * sizeof *off);
    size_t *nnz = calloc(OC, sizeof *nnz);
    if (!x || !y || !sums || !off || !nnz) {
        free(x), free(y), free(sums), free(off), free(nnz);
        fprintf(stderr, "sconv-kernel-bench: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < K * P; ++i) x[i] = (float)(2 * uniform() - 1);
    for (size_t i = 0; i < OC * P; ++i) y[i] = (float)(2 * uniform() - 1);
    long long useful = 0;
    for (size_t o2 = 0; o2 < OC; ++o2)
        for (size_t r = 0; r < K; ++r)
            if (uniform() < density) off[o2 * K + nnz[o2]++] = (int64_t)(r * P), ++useful;
    k->fn(P, nnz[0], y, x, off, sums);  /* warm-up */
    const double t0 = sc_now_s();
    for (int r = 0; r < o->reps; ++r)
        for (size_t o2 = 0; o2 < OC; ++o2) k->fn(P, nnz[o2], y + o2 * P, x, off + o2 * K, sums);
    const double s = sc_now_s() - t0;
    print_row("wgrad_dot", k->name, k->need, 0, 1, density, useful, (long long)(OC * K), o, s);
    free(x), free(y), free(sums), free(off), free(nnz);
    return 0;
}

int main(int argc, char **argv)
{
    kb_opts o;
    if (parse_args(argc, argv, &o) != 0) return 2;
    const sc_cpu_set allowed = sc_cpu_features();
    printf("family,kernel,need,mr,rows,density,nonzeros,pixels,reps,ms,gflops_useful,"
           "gflops_dense\n");
    for (int d = 0; d < o.n_dens; ++d) {
        for (const sc_spmm_info *k = sc_spmm_table; k->fn; ++k)
            if (sc_cpu_set_has(allowed, k->need) && bench_spmm(k, &o, o.densities[d]) != 0)
                return 1;
        for (const sc_wgrad_dot_info *k = sc_wgrad_dot_table; k->fn; ++k)
            if (sc_cpu_set_has(allowed, k->need) && bench_wgrad(k, &o, o.densities[d]) != 0)
                return 1;
    }
    return 0;
}
