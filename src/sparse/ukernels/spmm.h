/* src/sparse/ukernels/spmm.h: the SpMM microkernel contract, prototypes and table */
#ifndef SC_UKERNELS_SPMM_H
#define SC_UKERNELS_SPMM_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"  /* sc_cpu_set */
#include "core/epilogue.h"

/* What a kernel does besides the products:
 *   load_y  0: start each output from the bias slot of w; 1: start from y (a partial sum
 *           left by the previous reduction block; the bias slot is then ignored)
 *   clamp   1: finish with y = y < lo ? lo : y, then y > hi ? hi : y (ReLU, ReLU6, clamp);
 *           0: no activation. Both comparisons are false for NaN, so NaN stays NaN, and
 *           -0.0 passes ReLU as -0.0, in every kernel (SIMD: max_ps(lo, acc), min_ps(hi, .):
 *           max/min return their second operand when either is NaN) */
enum { SC_SPMM_MAX_SEG = 4 };  /* column-shift segments of a split-tap row (below) */
typedef struct sc_spmm_params {
    int load_y;
    int clamp;
    float lo, hi;
    /* split-tap kernels only (sc_spmm_split_*): each channel's nonzeros come in n_seg
     * segments, seg_nnz[o*n_seg + k] of them in segment k, whose offsets point
     * seg_shift[k] floats before their tap (seg_shift[0] = 0) */
    const uint32_t *seg_nnz;
    int n_seg;
    int seg_shift[SC_SPMM_MAX_SEG];
} sc_spmm_params;

/* The kernels' parameters for an activation (NULL = none), through the one rule every
 * path shares (core/epilogue.h): no clamp where the bounds are infinite. */
static inline sc_spmm_params sc_spmm_params_for(const sc_activation *act)
{
    const sc_epilogue ep = sc_epilogue_make(act);
    return (sc_spmm_params){.load_y = 0, .clamp = !sc_epilogue_is_identity(&ep), .lo = ep.lo,
                            .hi = ep.hi};
}

/* For n_oc output channels o and mr consecutive pixels p:
 *   y[o][p] = start[o][p] + sum_j val[j] * x_j[p],  x_j = (const char *)x + off_bytes[j]
 * then the optional clamp. start is bias[o] (w's slot) or y[o][p] (prm->load_y).
 * w holds, per channel in turn, bias[o] then its nnz[o] values val[j]; off_bytes holds
 * the channels' offsets in the same order (nnz[o] == 0 is allowed: bias only).
 * x_j is unit-stride over pixels; each x_j[0..mr) must be readable. y row o starts at
 * (char *)y + o * y_stride_bytes, mr floats are written per row (read only with load_y).
 * The sum runs over j in order, so the result of a pixel does not depend on mr or on
 * where the tile starts: a fixed accumulation order for every thread partition.
 * mr equals the kernel's tile width, except for partial kernels (1 <= mr <= width, or
 * width - 7 <= mr <= width for the 72-wide ones: sc_spmm_min_mr), which use masked loads
 * and stores and never touch memory beyond mr. */
typedef void (*sc_spmm_fn)(size_t mr, size_t n_oc, const float *restrict x,
                           const float *restrict w, const int32_t *restrict off_bytes,
                           const uint32_t *restrict nnz, float *restrict y,
                           size_t y_stride_bytes, const sc_spmm_params *prm);

/* Block kernels (rows == 4, spmm_blocks.inc: 4x1 block sparsity): output channels come in groups
 * of 4 consecutive channels that share their columns, so each input vector loaded serves 4
 * channels. For n_oc (a multiple of 4) channels and each group g: nnz[4g] is its column
 * count (nnz[4g+1..4g+3] are not read), w holds the 4 bias slots then, per column, the 4
 * channels' values, off_bytes one offset per column. Each output is the same sum, in the
 * same j order, as a row kernel computes for that channel's row. */
#define SC_SPMM(name, need, mr, partial, rows, role)                                      \
    void name(size_t mr_, size_t n_oc, const float *restrict x, const float *restrict w, \
              const int32_t *restrict off_bytes, const uint32_t *restrict nnz,           \
              float *restrict y, size_t y_stride_bytes, const sc_spmm_params *prm);
#include "sparse/ukernels/spmm_rows.inc"
#include "sparse/ukernels/spmm_blocks.inc"
#undef SC_SPMM

/* Split-tap row kernels (not in the lists: their streams need prm's segments). The
 * contract of sc_spmm_fn for any 1 <= mr <= 128, with x 64-byte aligned and every offset a
 * multiple of 64 bytes, except the order of the sums: per channel o, start + segment 0's
 * products in order, then for each later segment k its own sum over pixels p + shift[k],
 * added once (nnz is not read: the segment counts are prm's). Each segment-k read covers
 * [off, off + 4 * (ceil(mr / 16) + 1) * 16) bytes: up to 16 floats past the pixels the plain
 * kernels read. Results do not depend on mr or the tile start. The AVX-512 kernel's lanes
 * follow that order with FMAs; the portable twin (test oracle) multiplies then adds. */
void sc_spmm_split_f32_128__avx512(size_t mr, size_t n_oc, const float *restrict x,
                                   const float *restrict w, const int32_t *restrict off,
                                   const uint32_t *restrict nnz, float *restrict y,
                                   size_t y_stride_bytes, const sc_spmm_params *prm);
void sc_spmm_split_f32_128__ref(size_t mr, size_t n_oc, const float *restrict x,
                                const float *restrict w, const int32_t *restrict off,
                                const uint32_t *restrict nnz, float *restrict y,
                                size_t y_stride_bytes, const sc_spmm_params *prm);
/* How the driver uses a kernel's width (the role column of the lists):
 *   CHAIN  a tile is cut into calls of the chain's widths, widest first; the narrowest one
 *          is partial (any 1..mr) and takes the rest. A partial kernel ends the chain, so a
 *          partial widest kernel (AVX-512's k-masked 128) takes any tile in one call. The
 *          widest bounds the plan's tile width (sc_spmm_tile_width, spmm_driver.h).
 *   SHORT  one call for a tile of exactly mr pixels (a row tile that wide, or a short tile
 *          of mr - 7..mr pixels padded to mr) instead of the chain's cuts.
 *   LONG   one call for a tile of mr - 7..mr pixels (partial 2), above 64: the plan then
 *          lets the last flat 64-pixel tile take a rest of up to mr - 64 pixels.
 * A SHORT or LONG kernel joins only a chain whose widest kernel needs the same features. */
typedef enum sc_tile_role { SC_TILE_CHAIN, SC_TILE_SHORT, SC_TILE_LONG } sc_tile_role;

typedef struct sc_spmm_info {
    const char *name;  /* without the "sc_" prefix, e.g. "spmm_f32_64__avx2" */
    sc_cpu_set need;   /* CPU features it needs */
    size_t mr;
    int partial;       /* 0: mr only; 1: any 1..mr; 2: mr - 7..mr (sc_spmm_min_mr) */
    sc_spmm_fn fn;
    size_t rows;       /* output channels per stream: 1 (row kernels) or 4 (block kernels) */
    sc_tile_role role;
} sc_spmm_info;

/* The smallest mr a kernel accepts (its partial field: 0 exact, 1 any, 2 a masked last
 * vector). */
static inline size_t sc_spmm_min_mr(const sc_spmm_info *k)
{
    return k->partial == 1 ? 1 : k->partial == 2 ? k->mr - 7 : k->mr;
}

/* Every kernel of the lists (rows, then blocks), then an entry with fn == NULL. */
extern const sc_spmm_info sc_spmm_table[];

/* The kernel that needs exactly these features, of this width and rows per stream, or
 * NULL (tests look up twins with it). */
const sc_spmm_info *sc_spmm_find(sc_cpu_set need, size_t mr, size_t rows);

enum { SC_SPMM_CHAIN_MAX = 8 };

/* The widest tile any kit runs in one call, and so the widest panel or tile-buffer row
 * (tile_floats) a plan uses: gather and store code sizes per-pixel arrays with it. */
enum { SC_SPMM_TILE_MAX = 128 };

/* The kernels one plan calls, all from the lists. */
typedef struct sc_spmm_kit {
    const sc_spmm_info *chain[SC_SPMM_CHAIN_MAX];  /* widest first, the last partial */
    int n_chain;
    const sc_spmm_info *shrt;  /* the SHORT kernel, or NULL */
    const sc_spmm_info *lng;   /* the LONG kernel, or NULL */
} sc_spmm_kit;

/* The kit of a split-tap plan: the AVX-512 split kernel (avx512 != 0) or its portable twin
 * alone (any 1..128 pixels, no SHORT or LONG kernel). */
sc_spmm_kit sc_spmm_kit_split(int avx512);

/* For weight streams of `rows` channels: each chain width's first kernel whose needs the
 * allowed features cover, widest first, up to the first partial one, and the SHORT / LONG
 * kernels of the widest one's features. The portable lines need nothing, so the chain is
 * never empty for rows 1 or 4. */
sc_spmm_kit sc_spmm_kit_pick(sc_cpu_set allowed, size_t rows);

/* The widest tile the kit takes: the widest chain kernel's (the plan's tile width is at
 * most this: sc_spmm_tile_width). */
static inline size_t sc_spmm_kit_tile(const sc_spmm_kit *k)
{
    return k->chain[0]->mr;
}

/* The pixels one call computes for a short tile of m < tile pixels read from padded input:
 * the SHORT width for its last 8 pixels, else the narrowest chain width >= m, or m rounded
 * up to 8 when that kernel is partial (k-masked: no need to pad it to its width). Never
 * more than the plan's tile width when m is below it. */
static inline size_t sc_spmm_kit_round(const sc_spmm_kit *k, size_t m)
{
    if (k->shrt && m <= k->shrt->mr && m + 8 > k->shrt->mr) return k->shrt->mr;
    const sc_spmm_info *c = k->chain[0];
    for (int i = 1; i < k->n_chain; ++i)
        if (k->chain[i]->mr >= m) c = k->chain[i];
    return c->partial == 1 && c->mr > m ? (m + 7) / 8 * 8 : c->mr;
}

/* One tile of m pixels through the kit (the arguments as sc_spmm_fn): the LONG kernel for a
 * tile of its mr - 7..mr pixels, the SHORT one for exactly its width, else the chain. */
static inline void sc_spmm_kit_run(const sc_spmm_kit *k, size_t m, size_t n_oc,
                                   const float *x, const float *w, const int32_t *off,
                                   const uint32_t *nnz, float *y, size_t y_stride_bytes,
                                   const sc_spmm_params *prm)
{
    if (k->lng && m >= sc_spmm_min_mr(k->lng) && m <= k->lng->mr) {
        k->lng->fn(m, n_oc, x, w, off, nnz, y, y_stride_bytes, prm);
        return;
    }
    if (k->shrt && m == k->shrt->mr) {
        k->shrt->fn(m, n_oc, x, w, off, nnz, y, y_stride_bytes, prm);
        return;
    }
    size_t pos = 0;
    for (int i = 0; i < k->n_chain; ++i)
        for (const size_t width = k->chain[i]->mr; m - pos >= width; pos += width)
            k->chain[i]->fn(width, n_oc, x + pos, w, off, nnz, y + pos, y_stride_bytes, prm);
    if (pos < m)
        k->chain[k->n_chain - 1]->fn(m - pos, n_oc, x + pos, w, off, nnz, y + pos,
                                     y_stride_bytes, prm);
}

/* Whether the library may run kernels of that level: sc_cpu_features() holds its set. */
int sc_isa_available(sc_isa isa);

#endif
