/* bench/report.h: what the report's files share: the rows, lookups by point, the break-even sparsity */
#ifndef SCB_REPORT_H
#define SCB_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "bench.h"

enum { SCB_REP_MAX = 128 };

typedef struct scb_rctx {
    const scb_row *rows;
    size_t n;
} scb_rctx;

/* 1 when the row was timed (status ok, finite median). */
int scb_rep_ok(const scb_row *r);
/* The first row of the point and engine (any method), NULL when there is none. */
const scb_row *scb_rep_find(const scb_rctx *c, const char *layer, const char *layout,
                            int threads, double sp, const char *engine);
/* Distinct values of the text column at byte offset off, in order of appearance. */
int scb_rep_distinct(const scb_rctx *c, size_t off, char out[][64], int max);
/* Distinct thread counts, ascending. */
int scb_rep_distinct_threads(const scb_rctx *c, int *out, int max);
/* The sparsity from which `engine` beats oneDNN (best_dense 0: the same layout, 1: its faster
 * layout) at every higher measured sparsity, interpolated in log(speedup) between the two
 * measured points around 1x. *kind: 0 nothing measured, 1 already at the lowest sparsity
 * (value = it), 2 interpolated, 3 never within the sweep (value = the highest sparsity). */
double scb_rep_crossover(const scb_rctx *c, const char *layer, const char *layout, int threads,
                         const char *engine, const double *sp, int nsp, int best_dense,
                         int *kind);
/* The targets of the performance issue, each with its measured figure, and the thin layers'
 * memory traffic (bench/report_targets.c); nothing when no row is from a named layer set. */
void scb_rep_targets(FILE *f, const scb_rctx *c, const double *sp, int nsp);

#endif
