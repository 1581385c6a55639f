/* src/sparse/conv_impl.h: the sc_conv operator and its plan, shared by create, plan and run */
#ifndef SC_CONV_IMPL_H
#define SC_CONV_IMPL_H

#include "sconv/conv.h"
#include "sparse/run_gate.h"
#include "sparse/scratch.h"
#include "sparse/ukernels/spmm.h"
#include "sparse/ukernels/transpose.h"

/* The sparse plan for one input/output geometry.
 * Input: read in place (1x1, stride 1, no padding, unit-stride (h, w) planes), gathered per
 * tile into a panel (other 1x1 layers, e.g. NHWC: the transposition stays in cache), or
 * copied per image into "phase planes": for stride (sh, sw), plane (c, ph, pw) holds the
 * zero-padded input at rows i*sh + ph, columns j*sw + pw, i < hq, j < wq, with the used
 * phases only. Output pixel (oh, ow) is the flat index q = oh*wq + ow; nonzero (c, kh, kw)
 * reads plane (c, kh*dh % sh, kw*dw % sw) at q + (kh*dh / sh)*wq + kw*dw / sw, a fixed
 * byte offset. Columns ow >= OW are computed and discarded.
 * Weights are streams per reduction block cb (a range of input channels) and output
 * channel o: w = bias-or-0 slot then the values, off_bytes the matching offsets. */
typedef struct sc_sparse_plan {
    int in_place;            /* 1: x is read directly, image base + c*strides[C] */
    int panel;               /* 1 (1x1 layers not read in place): each tile is gathered
                              * into a channel-major panel, row c at c*tile_floats floats */
    int64_t hq, wq;          /* phase plane extents (in place: h, w) */
    int64_t plane_floats;    /* distance between phase planes (in place: unused) */
    int64_t n_phase;         /* used phases per channel: n_phase_h * n_phase_w */
    int64_t n_phase_h, n_phase_w;  /* used row / column phases (phase index ih*n_phase_w + iw) */
    int64_t *res_h, *res_w;  /* the used phases, ascending: residues kh*dh % sh (at most kh
                              * of them, whatever the stride), kw*dw % sw */
    int64_t *tap_ph_h;       /* kh entries: index in res_h of tap kh's phase */
    int64_t *tap_ph_w;       /* kw entries */
    int64_t image_floats;    /* scratch floats per image (0 in place) */
    int64_t pixels;          /* flat pixels per image: (OH-1)*wq + OW */
    int64_t ow;              /* output width OW */
    int64_t n_tiles;         /* tiles per image: ceil(pixels / 64) (floor when the last tile
                              * takes a rest of 1..8 pixels, tile_floats 72), or
                              * OH * row_tiles */
    int64_t tile_floats;     /* row stride of panels and tile buffers: 64, or 72 when the
                              * last flat tile has 65..72 pixels (kit.lng) */
    int64_t row_tiles;       /* 0: tiles of 64 flat pixels (a tile may span output rows);
                              * > 0: each output row is cut into this many tiles of at most
                              * row_tile_w pixels, which skip the wq - OW columns and store
                              * straight into y (sc_sparse_tile) */
    int64_t row_tile_w;      /* 64, or 56 when that needs no more tiles per row */
    int64_t ocb;             /* output channels per kernel call */
    int64_t rows;            /* output channels per weight stream: 4 when the layer has 4x1
                              * block structure (block kernels), else 1 */
    int64_t n_cb, cb_ch;     /* reduction blocks and input channels per block */
    float *w;                /* n_cb * (oc + nnz) floats */
    int32_t *off_bytes;      /* nnz offsets */
    uint32_t *nnz;           /* n_cb * oc counts */
    int64_t *w_start;        /* n_cb * oc: stream start of (cb, o) in w */
    int64_t *off_start;      /* n_cb * oc: start of (cb, o) in off_bytes */
    int direct_y;            /* 1: tiles are stored straight into y (pixels unit-stride, no
                              * garbage columns in any tile) */
    sc_spmm_kit kit;         /* the kernels, their widths and tails (sc_spmm_kit_pick) */
    sc_transpose8_fn transpose8;  /* NHWC panels and stores, same ISA as the kernels */
    sc_transpose8xn_fn to_panel;    /* strips into a panel (runs tile_floats apart) */
    sc_transpose8xn_fn from_tile;   /* strips out of a tile buffer (rows tile_floats apart) */
} sc_sparse_plan;

struct sc_conv {
    const sc_layer *layer;
    sc_conv_options opt;
    float *bias;             /* oc values (options or layer), or NULL */
    float *dense_w;          /* OIHW weights for the dense engine, unpacked on first need */
    int planned;
    sc_tensor x, y;          /* planned descriptors */
    sc_engine engine;        /* SC_ENGINE_SPARSE or SC_ENGINE_DENSE after a plan */
    sc_spmm_params act;      /* fused activation, as the kernels take it */
    const char *kernel_name;
    char reason[256];
    sc_sparse_plan sp;
    sc_scratch_slot *scratch;  /* the sparse runs' idle scratch block; shared by the shallow
                                * copies auto's measurement runs, freed with the operator */
    sc_run_gate gate;          /* runs in flight, or a plan: one excludes the other */
};

/* Tile t (< sp->n_tiles) of an image: its first flat pixel *q0 and its *m pixels. */
static inline void sc_sparse_tile(const sc_sparse_plan *sp, int64_t t, int64_t *q0, int64_t *m)
{
    if (sp->row_tiles > 0) {
        const int64_t k = t % sp->row_tiles;
        const int64_t w = sp->row_tile_w;
        *q0 = t / sp->row_tiles * sp->wq + w * k;
        *m = sp->ow - w * k < w ? sp->ow - w * k : w;
    } else {
        *q0 = t * 64;
        *m = t == sp->n_tiles - 1 ? sp->pixels - *q0 : 64;
    }
}

/* Threads a run of op uses: the option, or OpenMP's default for 0. */
int sc_sparse_thread_count(const sc_conv *op);

/* Whether a run on `threads` threads orders its (tile, output-channel block) items
 * block-major, one block per thread, every thread walking all tiles (run_sparse.c): kernels
 * that store straight into an NCHW y of a small image (under 4 tiles per thread), where a
 * tile-major split would end each thread's pixel range inside cache lines of every output
 * row, both cores writing them. */
static inline int sc_sparse_block_major(int direct_y, int64_t n_tiles, int64_t OC, int threads)
{
    return threads > 1 && direct_y && n_tiles < 4 * (int64_t)threads && OC / threads >= 16;
}

/* Time planned sparse and dense copies of one operator on scratch buffers shaped like their
 * descriptors (plan_measure.c): the best milliseconds of each, after waiting up to 0.25 s
 * for the process's other threads to go idle (*ms_waited: how long). */
sc_status sc_auto_measure(const sc_conv *sparse_op, const sc_conv *dense_op, double *ms_sparse,
                          double *ms_dense, double *ms_waited);

/* Free the arrays of a sparse plan and zero it. */
void sc_sparse_plan_clear(sc_sparse_plan *sp);

/* Build the sparse plan of op for x -> y (descriptors checked); SC_EUNSUPPORTED when the
 * per-image scratch is too large for 32-bit byte offsets. Leaves *sp cleared on failure. */
sc_status sc_sparse_plan_build(const sc_conv *op, const sc_tensor *x, const sc_tensor *y,
                               sc_cpu_set allowed, sc_sparse_plan *sp);

/* Copy channels [c0, c1) of one image (x points at its (n, 0, 0, 0)) into the phase planes. */
void sc_pack_phase_planes(const sc_conv *op, const float *x, int64_t c0, int64_t c1, float *dst);

/* Gather flat pixels [q0, q0 + m) of one image (x at its (n, 0, 0, 0)) of a 1x1 layer into
 * panel[c*tile_floats + p], 0 where the pixel falls into the padding. */
void sc_pack_tile_panel(const sc_conv *op, const float *x, int64_t q0, int64_t m, float *panel);

/* Store rows [0, nb) of a tile buffer (row stride tile_floats), flat pixels [q0, q0 + m),
 * output channels [o0, o0 + nb) of the image whose (n, 0, 0, 0) is y, skipping garbage
 * columns ow >= OW. */
void sc_write_output_tile(const sc_conv *op, const float *buf, int64_t q0, int64_t m,
                          int64_t o0, int64_t nb, float *y);

/* The sparse engine: y = act(conv(x) + bias) through the planned descriptors. */
sc_status sc_sparse_run(const sc_conv *op, const float *x, float *y);

#endif
