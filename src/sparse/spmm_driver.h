/* src/sparse/spmm_driver.h: the one SpMM driver every sparse conv flavour's planner feeds */
#ifndef SC_SPMM_DRIVER_H
#define SC_SPMM_DRIVER_H

#include "core/core.h"
#include "core/scratch.h"
#include "sparse/ukernels/spmm.h"

/* Flavour hooks, called with the ctx handed to sc_spmm_drive (the flavour's plan).
 * pack:   copy input channels [c0, c1) of one image (x at its (n, 0, 0, 0)) into its planes.
 * gather: copy flat pixels [q0, q0 + m) of one image into a channel-major panel, row c at
 *         c*tile_floats floats.
 * store:  store rows [r0, r0 + nb) of a finished tile (buf row stride tile_floats, flat
 *         pixels [q0, q0 + m)) through the output descriptor (y at the image's (n, 0, 0, 0)). */
typedef void (*sc_spmm_pack_fn)(const void *ctx, const float *x, int64_t c0, int64_t c1,
                                float *dst);
typedef void (*sc_spmm_gather_fn)(const void *ctx, const float *x, int64_t q0, int64_t m,
                                  float *panel);
typedef void (*sc_spmm_store_fn)(const void *ctx, const float *buf, int64_t q0, int64_t m,
                                 int64_t r0, int64_t nb, float *y);
/* load:   the inverse of store, for accumulating problems: rows [r0, r0 + nb) of y at flat
 *         pixels [q0, q0 + m) into buf rows [0, nb), 0 at discarded columns. */
typedef void (*sc_spmm_load_fn)(const void *ctx, float *buf, int64_t q0, int64_t m,
                                int64_t r0, int64_t nb, const float *y);

/* An SpMM problem: Y[r][q] = act(sum over reduction blocks cb of W_cb[r] * X_cb[q]) for rows
 * r < n_rows and flat pixels q < pixels of every image. The planner of each flavour (forward,
 * backward data, transposed) fills it; the driver owns the loop nest, the scratch, the
 * thread split and the kernel widths.
 * Input of a tile at flat pixel q0 of image n: x + n*x_image + q0 (in place), planes + n *
 * image_floats + q0 (packed by `pack`), or a panel (gathered by `gather`); block cb reads it
 * cb*cb_x_floats floats further, each nonzero at its byte offset.
 * Weights: a stream per (cb, r) at b = cb*n_rows + r: w[w_start[b]..] = `rows` bias-or-0
 * slots then the values, off_bytes[off_start[b]..] the offsets, nnz[b] the count (block
 * kernels: rows = 4, entries r % 4 != 0 empty).
 * Output: flat pixel q = line*wq + col, columns col >= ow are discarded. Direct tiles go
 * to y + n*y_image + r*y_row + line*y_line + col; the rest through `store`. */
typedef struct sc_spmm_problem {
    int64_t n_rows;          /* output rows of the SpMM */
    int64_t rows;            /* rows per weight stream: 4 (block kernels) or 1 */
    int64_t n_cb;            /* reduction blocks */
    int64_t cb_x_floats;     /* input advance per reduction block (0: offsets are absolute) */
    float *w;
    int32_t *off_bytes;
    uint32_t *nnz;
    int64_t *w_start, *off_start;
    uint32_t *seg_nnz;       /* split taps (act.n_seg > 0, kit: sc_spmm_kit_split): act.n_seg
                              * counts per stream b, at b*act.n_seg */
    sc_spmm_params act;      /* what every kernel call starts from: the activation and, with
                              * split taps, the segments' count and shifts */
    int threads;             /* 0: OpenMP's default at run time */
    sc_spmm_kit kit;         /* kernels, widths and tails (sc_spmm_kit_pick) */
    int64_t n_images;
    int64_t in_ch;           /* input channels: pack tasks and panel rows */
    int in_place;            /* 1: x is read directly */
    int panel;               /* 1: each tile is gathered into a panel */
    int64_t image_floats;    /* packed floats per image (0 in place or panel) */
    int64_t x_image;         /* x floats between images */
    int64_t wq;              /* flat pixels per output line */
    int64_t ow;              /* valid columns per line */
    int64_t pixels;          /* flat pixels per image: (lines-1)*wq + ow */
    int64_t n_tiles;         /* tiles per image (sc_spmm_tile) */
    int wide;                /* the planner allows 128-pixel tiles (sc_spmm_tile_width) */
    int64_t tile_w;          /* flat tile width (sc_spmm_tile_width): 64 or 128 */
    int64_t tile_floats;     /* panel and tile-buffer row stride: tile_w, or 72 (kit.lng)
                              * when the last 64-pixel flat tile takes a rest of 1..8 */
    int64_t row_tiles;       /* 0: flat tiles of tile_w pixels; > 0: tiles per output line,
                              * of at most row_tile_w pixels, stored directly */
    int64_t row_tile_w;
    int align16;             /* 1: tiles start on 16-float boundaries (aligned taps; the
                              * planes' wq is a multiple of 16): no 56-wide row tiles */
    int direct_y;            /* 1: full tiles are stored straight into y */
    int64_t y_image, y_row, y_line;  /* y strides for direct tiles, in floats */
    sc_spmm_pack_fn pack;
    sc_spmm_gather_fn gather;
    sc_spmm_store_fn store;
    int accumulate;          /* 1: Y = act(Y_old + bias + products): each (tile, row block)
                              * item starts its destination (y, or the tile buffer through
                              * `load`) at Y_old + bias, and every reduction block loads it */
    sc_spmm_load_fn load;    /* accumulate only */
    int lone_whole;          /* 1: one thread runs each tile's rows as one block, so the x a
                              * reduction block reads stays in L1 for all rows (no halving) */
    int tile_cuts;           /* 1: threads' item ranges start at tile boundaries (a tile's
                              * panel is then gathered by one thread, not by both sharing it) */
    sc_scratch_slot *scratch;  /* the runs' idle scratch block */
} sc_spmm_problem;

/* Tile t (< pb->n_tiles) of an image: its first flat pixel *q0 and its *m pixels. */
static inline void sc_spmm_tile(const sc_spmm_problem *pb, int64_t t, int64_t *q0, int64_t *m)
{
    if (pb->row_tiles > 0) {
        const int64_t k = t % pb->row_tiles;
        const int64_t w = pb->row_tile_w;
        *q0 = t / pb->row_tiles * pb->wq + w * k;
        *m = pb->ow - w * k < w ? pb->ow - w * k : w;
    } else {
        *q0 = t * pb->tile_w;
        *m = t == pb->n_tiles - 1 ? pb->pixels - *q0 : pb->tile_w;
    }
}

/* Threads a run uses: the option, or OpenMP's default for 0. */
int sc_spmm_thread_count(int threads);

/* Whether a run on `threads` threads orders its (tile, row block) items block-major, one
 * block per thread, every thread walking all tiles: kernels that store straight into an
 * NCHW y of a small image (under 4 tiles per thread), where a tile-major split would end
 * each thread's pixel range inside cache lines of every output row, both cores writing
 * them. */
static inline int sc_spmm_block_major(int direct_y, int64_t n_tiles, int64_t rows, int threads)
{
    return threads > 1 && direct_y && n_tiles < 4 * (int64_t)threads && rows / threads >= 16;
}

/* The plan's tile width for an image plane of `pixels` flat pixels: 128 when the plan asks
 * for wide tiles (pb->wide: forward KxK layers), the kit takes 128 pixels in one call
 * (sc_spmm_kit_tile) and the plane has at least SC_SPMM_WIDE_TILE_MIN_PIXELS, else 64.
 * Wider tiles halve the fixed cost per (row, block, tile) where a KxK tap's loads dominate;
 * 1x1 layers and NHWC-transposed tiles measured slower with them, and small planes would
 * leave a large rest tile (docs/kernels.md, "AVX-512 row kernels"). */
enum { SC_SPMM_WIDE_TILE_MIN_PIXELS = 512 };
int64_t sc_spmm_tile_width(const sc_spmm_problem *pb);

/* Flat tiles and their width: ceil(pixels / tile_w) tiles of tile_w (sc_spmm_tile_width),
 * or, with 64-pixel tiles, a rest of 1..8 pixels joined to the last tile (tile_floats 72)
 * when the kit has a long kernel. Sets tile_w, n_tiles and tile_floats; row tiles and
 * in-place reads are the planner's. */
void sc_spmm_plan_flat_tiles(sc_spmm_problem *pb);

/* Row tiles for lines at least this wide whose pixels are unit-stride in y (wq > ow): of
 * the kit's short width (64 instead with align16 when it is not a multiple of 16), 64 and
 * tile_w, the narrowest that takes as few tiles per line as
 * any of them (56 for 112-pixel lines on 64-pixel tiles). Call after
 * sc_spmm_plan_flat_tiles. Sets row_tiles, row_tile_w, n_tiles and direct_y; returns
 * whether it did. */
int sc_spmm_plan_row_tiles(sc_spmm_problem *pb, int64_t lines);

/* Allocate the streams' index arrays for n_cb * n_rows entries and nnz values (counts
 * zeroed), and the scratch slot. */
sc_status sc_spmm_problem_alloc(sc_spmm_problem *pb, int64_t nnz, const char *who);

/* Free the streams and the scratch and zero the problem (a zeroed one is fine). */
void sc_spmm_problem_clear(sc_spmm_problem *pb);

/* Run the problem: pack, walk (image, tile, row block) items, call the kernels, store.
 * Concurrent runs are safe (each takes its own scratch when the idle one is in use). */
sc_status sc_spmm_drive(const sc_spmm_problem *pb, const void *ctx, const float *x, float *y);

#endif
