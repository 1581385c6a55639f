/* src/sparse/dw_plan.h: the sparse engine's direct depthwise path: plan and run */
#ifndef SC_DW_PLAN_H
#define SC_DW_PLAN_H

#include "core/core.h"
#include "core/scratch.h"
#include "sconv/layer.h"
#include "sparse/ukernels/dw.h"

/* One nonzero (kh, kw, w) of a channel, for output row oh and column ow:
 *   y[oh][ow] += w * x[oh*sh - pad_top + dy][ow*sw - pad_left + kw*dw]
 * Input rows are read in place (column stride 1 and sw == 1) or copied into phase rows of
 * W floats: phase p holds the row's columns p, p + sw, p + 2sw, ... from
 * sc_dw_phase_start(W, sw, p) on, so every tap reads a unit-stride run whatever the stride.
 * col is the row offset of column lo's input. */
typedef struct sc_dw_tap {
    float w;
    int32_t lo, hi;  /* output columns whose input column lies inside the row */
    int64_t dy;      /* kh * dil_h */
    int64_t col;     /* flat: kw*dw. Else, with c = kw*dw - pad_left: in place c + lo; packed, with phase p = c mod sw,
                      * sc_dw_phase_start(W, sw, p) + lo + (c - p)/sw */
} sc_dw_tap;

/* Where phase p < sw starts in a packed row of W columns: the columns of the phases before
 * it, W/sw each plus one for the first W % sw phases. */
static inline int64_t sc_dw_phase_start(int64_t W, int64_t sw, int64_t p)
{
    return p * (W / sw) + (p < W % sw ? p : W % sw);
}

/* The plan: a channel's taps in CSR order; per (image, output channel) plane the run calls
 * the rows kernel once for the rows whose taps all read inside the image and once per other
 * row on the taps whose input row exists (or once per plane for a flat run). */
typedef struct sc_dw_plan {
    const sc_dw_info *kern;  /* NULL: the sparse plan runs the SpMM driver instead */
    sc_dw_tap *taps;         /* nnz entries minus those that never touch the image */
    int64_t *tap_start;      /* OC + 1: output channel o's taps are [tap_start[o], tap_start[o+1]) */
    int64_t *inner;          /* 2 per output channel o: output rows [inner[2o], inner[2o+1])
                              * have all of o's taps inside the image (one kernel call) */
    float *bias;             /* OC values (0 without a bias) */
    sc_spmm_params act;
    int threads;             /* 0: OpenMP's default at run time */
    int64_t ocg;             /* output channels per input channel */
    int64_t max_taps;        /* taps of the busiest channel */
    int64_t dy_max;          /* (kh - 1) * dil_h: the rows one output row reaches below it */
    int64_t sh, pad_top;
    int64_t sw;              /* column stride: phases of a packed row */
    int pack;                /* 1: input rows are copied into phase rows before use */
    int flat;                /* 1: narrow planes at stride 1: each is copied into a zero-padded
                              * plane of hp x wp floats, every tap at the fixed offset
                              * dy*wp + kw*dil_w with no clipping; rows of more than 8 columns
                              * go straight to a unit-stride y, narrower ones as one flat run
                              * q = oh*wp + ow (columns ow >= OW discarded) */
    int64_t hp, wp;          /* flat: the padded plane */
    int64_t pad_left;
    sc_tensor x, y;
    sc_scratch_slot *scratch;  /* the runs' idle scratch block */
} sc_dw_plan;

/* Flat runs for output rows of at most this many columns whose padded rows are at most 4
 * times that long, in planes of at most SC_DW_FLAT_MAX_HP padded rows. */
enum { SC_DW_FLAT_MAX_OW = 16, SC_DW_FLAT_MAX_HP = 4096 };

/* Whether the direct path takes layer L on x: a forward conv with one input channel per
 * group and more than one group, on activations that are not channel-last (adjacent
 * channels and columns apart, e.g. NHWC: those keep the SpMM driver's transposed tiles),
 * with output rows short enough for int32 columns. */
int sc_dw_applies(const sc_layer *L, const sc_tensor *x, const sc_tensor *y);

/* Build the plan for x -> y (descriptors checked by the caller, sc_dw_applies true) with
 * the best rows kernel `allowed` covers; leaves *dp cleared on failure. */
sc_status sc_dw_plan_build(const sc_layer *L, const sc_tensor *x, const sc_tensor *y,
                           sc_cpu_set allowed, int threads, sc_spmm_params act,
                           const float *bias, sc_dw_plan *dp);

/* Free the plan's arrays and scratch and zero it (a zeroed plan is fine). */
void sc_dw_plan_clear(sc_dw_plan *dp);

/* y = act(conv(x) + bias). Each output is computed by one thread from its taps in a fixed
 * order, so results are bitwise the same for any thread count. Concurrent runs are safe. */
sc_status sc_dw_run(const sc_dw_plan *dp, const float *x, float *y);

#endif
