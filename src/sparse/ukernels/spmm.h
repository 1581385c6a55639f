/* src/sparse/ukernels/spmm.h: the SpMM microkernel contract, prototypes and table */
#ifndef SC_UKERNELS_SPMM_H
#define SC_UKERNELS_SPMM_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"  /* sc_isa */
#include "core/epilogue.h"

/* What a kernel does besides the products:
 *   load_y  0: start each output from the bias slot of w; 1: start from y (a partial sum
 *           left by the previous reduction block; the bias slot is then ignored)
 *   clamp   1: finish with y = y < lo ? lo : y, then y > hi ? hi : y (ReLU, ReLU6, clamp);
 *           0: no activation. Both comparisons are false for NaN, so NaN stays NaN, and
 *           -0.0 passes ReLU as -0.0, in every kernel (SIMD: max_ps(lo, acc), min_ps(hi, .):
 *           max/min return their second operand when either is NaN) */
typedef struct sc_spmm_params {
    int load_y;
    int clamp;
    float lo, hi;
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
 * width - 7 <= mr <= width for the 72-wide one: sc_spmm_min_mr), which use masked loads
 * and stores and never touch memory beyond mr. */
typedef void (*sc_spmm_fn)(size_t mr, size_t n_oc, const float *restrict x,
                           const float *restrict w, const int32_t *restrict off_bytes,
                           const uint32_t *restrict nnz, float *restrict y,
                           size_t y_stride_bytes, const sc_spmm_params *prm);

/* Block kernels (rows == 4 in the list: 4x1 block sparsity): output channels come in groups
 * of 4 consecutive channels that share their columns, so each input vector loaded serves 4
 * channels. For n_oc (a multiple of 4) channels and each group g: nnz[4g] is its column
 * count (nnz[4g+1..4g+3] are not read), w holds the 4 bias slots then, per column, the 4
 * channels' values, off_bytes one offset per column. Each output is the same sum, in the
 * same j order, as a row kernel computes for that channel's row. */
#define SC_SPMM(name, isa, mr, partial, rows)                                            \
    void name(size_t mr_, size_t n_oc, const float *restrict x, const float *restrict w, \
              const int32_t *restrict off_bytes, const uint32_t *restrict nnz,           \
              float *restrict y, size_t y_stride_bytes, const sc_spmm_params *prm);
#include "sparse/ukernels/spmm_list.inc"
#undef SC_SPMM

typedef struct sc_spmm_info {
    const char *name;  /* without the "sc_" prefix, e.g. "spmm_f32_64__avx2" */
    sc_isa isa;
    size_t mr;
    int partial;       /* 0: mr only; 1: any 1..mr; 2: mr - 7..mr (sc_spmm_min_mr) */
    sc_spmm_fn fn;
    size_t rows;       /* output channels per stream: 1 (row kernels) or 4 (block kernels) */
} sc_spmm_info;

/* The smallest mr a kernel accepts (its partial field: 0 exact, 1 any, 2 a masked last
 * vector). */
static inline size_t sc_spmm_min_mr(const sc_spmm_info *k)
{
    return k->partial == 1 ? 1 : k->partial == 2 ? k->mr - 7 : k->mr;
}

/* Every kernel of the list, then an entry with fn == NULL. */
extern const sc_spmm_info sc_spmm_table[];

/* The row kernel (rows == 1) with this isa and tile width, or NULL. */
const sc_spmm_info *sc_spmm_find(sc_isa isa, size_t mr);

/* The kernel with this isa, tile width and rows per stream (1 or 4), or NULL. */
const sc_spmm_info *sc_spmm_find_rows(sc_isa isa, size_t mr, size_t rows);

/* The best kernel of this width and rows per stream at or below isa (the 4x1 block kernels
 * have no AVX-512 version: an AVX-512 plan takes their AVX2 ones). Never NULL for the widths
 * and rows the list holds for SC_ISA_NONE. */
const sc_spmm_info *sc_spmm_pick(sc_isa isa, size_t mr, size_t rows);

/* Whether the library may run kernels of that isa: this CPU runs it and SCONV_ISA allows
 * it (sc_cpu_isa). */
int sc_isa_available(sc_isa isa);

#endif
