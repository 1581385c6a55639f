/* bench/runner.h: the sweep: layers x sparsities x layouts x threads, engines interleaved per point */
#ifndef SCB_RUNNER_H
#define SCB_RUNNER_H

#include "bench.h"

enum { SCB_MAX_LIST = 32, SCB_MAX_THREADS = 64 };

typedef struct scb_config {
    const scb_shape *const *shapes;  /* the selected layers */
    size_t n_shapes;
    double sparsity[SCB_MAX_LIST];
    size_t n_sparsity;
    scb_layout layout[2];
    size_t n_layout;
    int threads[SCB_MAX_LIST];
    size_t n_threads;
    const scb_engine *engine[SCB_MAX_LIST];
    size_t n_engine;
    const char *method;
    int64_t batch;
    int reps;            /* at most this many timed samples per engine and point */
    double budget;       /* seconds of timed runs per engine and point (>= 3 samples kept) */
    double min_sample;   /* seconds: back-to-back runs per sample until this long */
    double tol;          /* max_rel_err above this: the engine's result is wrong */
    double peak[SCB_MAX_THREADS + 1];  /* ymm GFLOP/s by thread count, NaN if unmeasured */
    double peak_avx512[SCB_MAX_THREADS + 1];  /* zmm GFLOP/s, NaN unmeasured or no AVX-512F */
    char cpu[96];
    FILE *csv;           /* rows are written once both layouts of a sparsity finish */
    const char *dump_dir;  /* --dump: each point's .npy files here (bench/dump.h), or NULL */
    FILE *dump_manifest;   /* its manifest.jsonl, one line per point */
} scb_config;

/* Run every point; returns the number of wrong or failed engine results (0 = all agree
 * with the reference), or -1 on a harness error (message on stderr). */
int scb_run_all(const scb_config *cfg);

#endif
