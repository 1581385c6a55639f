/* src/sparse/sparse_plan.h: the sparse engine: a plan built from layer + descriptors + options, a run on it, a clear */
#ifndef SC_SPARSE_PLAN_H
#define SC_SPARSE_PLAN_H

#include "core/core.h"
#include "sparse/dw_plan.h"
#include "sparse/spmm_driver.h"
#include "sconv/layer.h"
#include "sparse/ukernels/deinterleave.h"
#include "sparse/ukernels/spmm.h"
#include "sparse/ukernels/transpose.h"

/* How a KxK plan lays out its phase planes: by the planner's rule (aligned_taps in
 * plan_sparse.c), or forced either way (tests). */
typedef enum sc_taps_mode {
    SC_TAPS_AUTO = 0,
    SC_TAPS_PLAIN,    /* loads at each tap's own offset */
    SC_TAPS_ALIGNED,  /* shifted plane copies (n_copy planes per phase) */
    SC_TAPS_SPLIT     /* one plane per phase, rows in column-shift segments (split kernel) */
} sc_taps_mode;

/* What a sparse plan needs besides the layer and the descriptors. */
typedef struct sc_sparse_options {
    sc_cpu_set allowed;      /* CPU features the kernels may use (checked by the caller) */
    int threads;             /* 0: OpenMP's default at run time */
    sc_spmm_params act;      /* fused activation, as the kernels take it */
    const float *bias;       /* oc values, or NULL; baked into the weight streams */
    int accumulate;          /* 1: y = act(conv(x) + bias + y); the direct depthwise path
                              * then declines (the SpMM driver runs the layer) */
    sc_taps_mode taps;       /* SC_TAPS_AUTO (0) but in tests */
} sc_sparse_options;

/* The forward sparse plan for one input/output geometry: the SpMM problem d for the shared
 * driver (spmm_driver.h; rows are output channels, flat pixels q = oh*wq + ow) and what its
 * packers and store need.
 * Input: read in place (1x1, stride 1, no padding, unit-stride (h, w) planes), gathered per
 * tile into a panel (other 1x1 layers, e.g. NHWC: the transposition stays in cache), or
 * copied per image into "phase planes": for stride (sh, sw), plane (c, ph, pw) holds the
 * zero-padded input at rows i*sh + ph, columns j*sw + pw, i < hq, j < wq, with the used
 * phases only. Nonzero (c, kh, kw) reads plane (c, kh*dh % sh, kw*dw % sw) at
 * q + (kh*dh / sh)*wq + kw*dw / sw, a fixed byte offset. Columns ow >= OW are discarded.
 * Aligned taps (aligned_taps in plan_sparse.c): wq is a multiple of 16 and each phase plane has
 * copies shifted by the taps' column offsets mod 16, so every tap reads a 64-byte aligned
 * vector; plane (c, phase, copy k) is plane c*n_phase*n_copy + k*n_phase + phase.
 * Split taps (same rule's other branch): wq a multiple of 16 and one plane per phase; each
 * stream's nonzeros are ordered by the tap's column shift mod 16 (segments, d.act.n_seg) with
 * offsets pointing that many floats before the tap, and the split kernel applies the shift
 * once per row in registers (sc_spmm_split_*).
 * Weights are streams per reduction block cb (a range of input channels) and output
 * channel o (d.rows = 4 when the layer has 4x1 block structure: block kernels).
 * Depthwise layers on activations that are not channel-last take the direct path instead
 * (dw.kern set, dw_plan.h): d then holds only the thread option. */
typedef struct sc_sparse_plan {
    sc_spmm_problem d;       /* what the driver runs */
    sc_dw_plan dw;           /* the direct depthwise plan, or zeroed */
    const sc_layer *layer;   /* borrowed: must outlive the plan */
    sc_tensor x, y;          /* the planned descriptors */
    int64_t hq;              /* phase plane rows (in place: h) */
    int64_t plane_floats;    /* distance between phase planes (in place: unused) */
    int64_t n_phase;         /* used phases per channel: n_phase_h * n_phase_w */
    int64_t n_phase_h, n_phase_w;  /* used row / column phases (phase index ih*n_phase_w + iw) */
    int64_t *res_h, *res_w;  /* the used phases, ascending: residues kh*dh % sh (at most kh
                              * of them, whatever the stride), kw*dw % sw */
    int64_t *tap_ph_h;       /* kh entries: index in res_h of tap kh's phase */
    int64_t *tap_ph_w;       /* kw entries */
    int64_t n_copy;          /* planes per phase: 1, or with aligned taps the plane and its
                              * copies shifted left by shift[k] floats (k < n_copy) */
    int64_t shift[16];       /* shift[0] = 0 */
    int64_t *tap_copy_w;     /* kw entries: index in shift of tap kw's copy (split taps:
                              * of its segment) */
    sc_taps_mode taps;       /* the layout taken: PLAIN, ALIGNED or SPLIT (KxK planes) */
    int64_t cb_ch;           /* input channels per reduction block */
    sc_transpose8_fn transpose8;  /* NHWC panels and stores, same ISA as the kernels */
    sc_transpose8xn_fn to_panel;    /* strips into a panel (runs tile_floats apart) */
    sc_transpose8xn_fn from_tile;   /* strips out of a tile buffer (rows tile_floats apart) */
    sc_deinterleave_fn deinterleave;  /* unit-stride rows into column phases (stride_w) */
} sc_sparse_plan;

/* Threads a run of the plan uses: the option, or OpenMP's default for 0. */
int sc_sparse_thread_count(const sc_sparse_plan *sp);

/* 4x1 block structure: every group of 4 consecutive output channels (inside one conv group)
 * has the same columns (dense layers do), so the block kernels can share each input load
 * among 4 channels. O(nnz). */
int sc_layer_has_4x1_blocks(const sc_layer *L);

/* Free the arrays and the scratch of a sparse plan and zero it (a zeroed plan is fine). */
void sc_sparse_plan_clear(sc_sparse_plan *sp);

/* Build the sparse plan of layer L for x -> y (descriptors checked against L by the caller);
 * SC_EUNSUPPORTED when the per-image scratch is too large for 32-bit byte offsets. Leaves *sp
 * cleared on failure. */
sc_status sc_sparse_plan_build(const sc_layer *L, const sc_tensor *x, const sc_tensor *y,
                               const sc_sparse_options *o, sc_sparse_plan *sp);

/* Whether a forward plan of L into y with the allowed kernel features (and SC_TAPS_AUTO)
 * takes split taps: the auto rule's break-even depends on it. */
int sc_sparse_taps_split_expected(const sc_layer *L, const sc_tensor *y, sc_cpu_set allowed);

/* Copy channels [c0, c1) of one image (x points at its (n, 0, 0, 0)) into the phase planes. */
void sc_pack_phase_planes(const sc_sparse_plan *sp, const float *x, int64_t c0, int64_t c1,
                          float *dst);

/* Gather flat pixels [q0, q0 + m) of one image (x at its (n, 0, 0, 0)) of a 1x1 layer into
 * panel[c*tile_floats + p], 0 where the pixel falls into the padding. */
void sc_pack_tile_panel(const sc_sparse_plan *sp, const float *x, int64_t q0, int64_t m,
                        float *panel);

/* Store rows [0, nb) of a tile buffer (row stride tile_floats), flat pixels [q0, q0 + m),
 * output channels [o0, o0 + nb) of the image whose (n, 0, 0, 0) is y, skipping garbage
 * columns ow >= OW. */
void sc_write_output_tile(const sc_sparse_plan *sp, const float *buf, int64_t q0, int64_t m,
                          int64_t o0, int64_t nb, float *y);

/* The inverse of sc_write_output_tile: rows [0, nb) of a tile buffer get y's channels
 * [o0, o0 + nb) at flat pixels [q0, q0 + m) (y at the image's (n, 0, 0, 0)), 0 at garbage
 * columns ow >= OW. */
void sc_read_output_tile(const sc_sparse_plan *sp, float *buf, int64_t q0, int64_t m,
                         int64_t o0, int64_t nb, const float *y);

/* The name of the kernel a run of the plan calls: the direct depthwise rows kernel, else the
 * widest of the SpMM chain (e.g. "dw_f32__avx2", "spmm_f32_64__avx2"). */
const char *sc_sparse_kernel_name(const sc_sparse_plan *sp);

/* y = act(conv(x) + bias [+ y with accumulate]) through the planned descriptors (pointers
 * checked by the caller).
 * Concurrent runs on one plan are safe (each takes its own scratch when the idle one is in
 * use). */
sc_status sc_sparse_run(const sc_sparse_plan *sp, const float *x, float *y);

#endif
