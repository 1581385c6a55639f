/* bench/bench.h: sconv-bench's shared types: layer shapes, benchmark points, engines, result rows */
#ifndef SCB_BENCH_H
#define SCB_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sconv/conv.h"
#include "sconv/dense.h"
#include "sconv/layer.h"
#include "sconv/prune.h"

/* ---- layer shapes (bench/shapes.txt) ---- */

typedef struct scb_shape {
    char set[32];     /* "resnet50", "mobilenetv1", "vgg16", "first", "custom" */
    char name[64];    /* unique within the file, e.g. "res3_reduce" */
    int64_t cin, cout, h, w, kh, kw, stride, pad, dil, groups;
    int quick;        /* 1: part of the --quick selection */
} scb_shape;

typedef struct scb_shape_list {
    scb_shape *v;
    size_t n, cap;
} scb_shape_list;

/* Parse a shapes file (format in its header comment); appends to list. 0, or -1 with a
 * message on stderr naming the file and line. */
int scb_shapes_load(const char *path, scb_shape_list *list);
/* Parse "CIN,COUT,H,W,KH,KW,STRIDE,PAD[,DILATION[,GROUPS]]" into a shape named "custom". */
int scb_shape_parse(const char *text, scb_shape *out);
/* Check extents, divisibility by groups and that the kernel fits; message on stderr. */
int scb_shape_check(const scb_shape *s);
/* "resnet50 1x1", "first 7x7/2": the plot panel a shape belongs to. */
void scb_shape_family(const char *set, int64_t kh, int64_t kw, int64_t stride, char *buf,
                      size_t cap);
void scb_shapes_free(scb_shape_list *list);

/* ---- one benchmark point: a layer at one layout, thread count and sparsity ---- */

typedef enum scb_layout { SCB_NCHW = 0, SCB_NHWC = 1 } scb_layout;
const char *scb_layout_name(scb_layout l);

typedef struct scb_point {
    const scb_shape *shape;
    int64_t batch, oh, ow;
    scb_layout layout;
    int threads;
    double sparsity;         /* requested amount */
    const char *method;      /* "l1", "block:4x1", "nm:2:4" */
    sc_conv_params params;
    sc_wdesc wd;             /* OIHW, icg = cin / groups */
    const float *w;          /* pruned dense OIHW weights, zeros included */
    const sc_layer *layer;   /* the same weights packed in the order matching the layout */
    int64_t nnz;
    sc_tensor xd, yd;        /* dense NCHW or NHWC descriptors */
    const float *x;          /* input in xd, followed by >= 64 bytes of slack */
} scb_point;

/* ---- engines: one file each, a small common interface ---- */

typedef struct scb_engine_info {
    int nonzero_work;   /* 1: the engine skips zeros, % of peak counts nonzero FLOPs */
    char note[160];     /* what it chose (kernel, format, path), may be empty */
    char isa[12];       /* sconv: portable, avx2 or avx512 of the kernel that runs; else empty */
} scb_engine_info;

typedef struct scb_engine {
    const char *name;   /* the --engines token and the CSV engine column */
    /* NULL when compiled in and able to run pt, else why not (a fixed string). */
    const char *(*supports)(const scb_point *pt);
    /* Everything outside the timed loop: weight packing/reordering, primitives, plans,
     * scratch. Binds pt->x as input and y (pt->yd) as output. 0; 1 when the engine finds
     * it cannot run pt after all (msg says why); -1 on an error (msg). */
    int (*setup)(const scb_point *pt, float *y, void **state, scb_engine_info *info,
                 char *msg, size_t cap);
    /* One convolution, x -> y as bound by setup. 0, or -1 with msg. */
    int (*run)(void *state, char *msg, size_t cap);
    void (*teardown)(void *state);  /* NULL is fine */
} scb_engine;

/* All engines in CSV order: sconv, auto, dense, sconv_t1, onednn, xnnpack, openblas,
 * csparse. */
size_t scb_engines(const scb_engine *const **out);
const scb_engine *scb_engine_find(const char *name);

/* OpenMP and OpenBLAS thread counts for the calling thread (every engine sees the same). */
void scb_set_threads(int threads);

/* ---- results: one CSV row ---- */

typedef struct scb_row {
    char layer[64];
    int64_t cin, cout, h, w, kh, kw, stride, pad, dil, groups, batch;
    char layout[8];
    int threads;
    double sparsity;
    char method[24];
    char engine[16];
    double ms_median, ms_min, ms_max;   /* NaN when not timed */
    double gflops_effective, gflops_nonzero, pct_peak;
    double speedup_vs_onednn, max_rel_err;
    /* extra columns */
    double speedup_vs_xnnpack;
    double ms_stddev;
    char status[16];     /* ok, wrong, error, unsupported, unavailable */
    char work[12];       /* nonzero | dense: which FLOPs pct_peak counts */
    int64_t nnz;
    int reps;            /* timed samples */
    int inner;           /* back-to-back runs per sample */
    double peak_gflops;  /* measured FMA peak at this thread count */
    double load1;        /* 1-minute load average when the point finished (a busy machine) */
    char set[32];
    char family[48];
    char cpu[96];
    char note[160];
    char isa[12];              /* ISA of the sconv kernel that ran (scb_engine_info.isa) */
    double peak_isa_gflops;    /* the peak pct_peak divides by (scb_peak_for_isa) */
    double peak_avx512_gflops; /* measured zmm FMA peak at this thread count; NaN without it */
    double speedup_vs_best_dense;  /* the faster oneDNN layout's median over the engine's */
} scb_row;

/* Fill speedup_vs_best_dense of every row: the faster of the onednn rows in NCHW and NHWC
 * with the row's layer, shape, batch, threads, sparsity and method, over the row's median;
 * NaN unless both layouts' onednn rows were timed (bench/best_dense.c). */
void scb_fill_best_dense(scb_row *rows, size_t n);

void scb_csv_header(FILE *f);
void scb_csv_write(FILE *f, const scb_row *r);
/* Read a CSV written by scb_csv_write (header by name, so extra/reordered columns are fine).
 * 0, or -1 with a message on stderr. *rows is malloc'ed. */
int scb_csv_read(const char *path, scb_row **rows, size_t *n);

/* ---- machine ---- */

/* FP32 FMA peak in GFLOP/s with `threads` threads: ymm (AVX2+FMA) chains, NaN without
 * AVX2+FMA; zmm (AVX-512F) chains, NaN on a CPU without AVX-512F. */
double scb_fma_peak(int threads);
double scb_fma_peak_avx512(int threads);
/* The ISA named by a kernel name's "__" suffix: "__avx512" -> avx512, "__avx2" -> avx2,
 * "__ref" -> portable; "" for a name without one (buf holds at least 12 bytes). */
void scb_isa_of_kernel(const char *kernel, char *buf, size_t cap);
/* The peak a row with this isa is measured against: avx512 -> zmm, avx2 and portable -> ymm
 * (the portable C twins reach neither), "" (peers, sconv's dense path: libraries that
 * dispatch on the CPU themselves) -> zmm when measured, else ymm. */
double scb_peak_for_isa(const char *isa, double peak_ymm, double peak_zmm);
void scb_cpu_model(char *buf, size_t cap);
int scb_cpu_count(void);
/* 1-minute load average from /proc/loadavg; NaN when unknown. */
double scb_load_average(void);
/* sconv, oneDNN, XNNPACK, OpenBLAS, CXSparse, compiler: one line each, after prefix. */
void scb_library_versions(FILE *f, const char *prefix);
/* Version of an installed Debian package ("?" when unknown). */
void scb_deb_version(const char *pkg, char *buf, size_t cap);
void scb_onednn_version(char *buf, size_t cap);   /* engine_onednn.c */
void scb_xnnpack_version(char *buf, size_t cap);  /* engine_xnnpack.c */
/* Time of XNNPACK's 1x1 NCHW operator with dense weights over the same with 95% zeros:
 * well above 1 when its sparse kernel skips zeros; NaN without XNNPACK. */
double scb_xnnpack_probe(void);

/* ---- timing and progress ---- */

/* log2 of the TSC ticks OpenBLAS's idle workers spin; sconv-bench sets it when unset */
#define SCB_OPENBLAS_THREAD_TIMEOUT "18"
/* Wait (at most max_s) until no thread of this process runs: the peers' idle workers have
 * stopped spinning. Returns the seconds waited. */
double scb_quiesce(double max_s);
/* Sort v and fill median, min, max, population stddev. */
void scb_stats(double *v, size_t n, double *median, double *min, double *max, double *sd);

typedef struct scb_progress {
    int enabled;
    size_t done, total;
    double t0;
} scb_progress;
void scb_progress_start(scb_progress *p, size_t total);
void scb_progress_update(scb_progress *p, const char *label);
void scb_progress_finish(scb_progress *p);

/* ---- outputs built from a CSV ---- */

/* Speedup-over-oneDNN plots (PNG and SVG, one file per thread count) into dir via gnuplot. */
int scb_plot(const scb_row *rows, size_t n, const char *dir);
/* Markdown summary per layer. cmd: the command line that regenerated it. */
int scb_report(const scb_row *rows, size_t n, const char *path, const char *cmd,
               const char *csv_path, const char *plot_dir);

/* Small helpers. */
void *scb_alloc(size_t bytes);  /* 64-byte aligned, zeroed, plus 64 bytes of slack; exits on failure */
void scb_free(void *p);
/* mkdir -p dir; and of the directory holding path. 0, or -1 with a message on stderr. */
int scb_mkdirs(const char *dir);
int scb_mkdirs_for(const char *path);

#endif
