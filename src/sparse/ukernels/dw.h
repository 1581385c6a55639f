/* src/sparse/ukernels/dw.h: the direct depthwise rows kernel contract, prototypes and table */
#ifndef SC_UKERNELS_DW_H
#define SC_UKERNELS_DW_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"  /* sc_cpu_set */
#include "sparse/ukernels/spmm.h"  /* sc_spmm_params: the clamp */

/* n_rows output rows of one channel plane from n_taps taps t, for columns c < n:
 *   y[r*y_step + c] = clamp(bias + sum_t w[t] * x[r*x_step + off[t] + c])
 * over the t with lo[t] <= c < hi[t], 0 <= lo[t] <= hi[t] <= n. The sum starts from bias
 * and runs over t in order, so an output depends only on its taps, not on the rows or
 * threads around it. Reads exactly x[r*x_step + off[t] + c] for lo[t] <= c < hi[t] (masked
 * loads never touch the lanes outside, so a row may end at an unmapped page); writes
 * y[r*y_step + 0..n) without reading it. prm->load_y is ignored; prm->clamp as in spmm.h.
 * ws: SC_DW_WS_BYTES_PER_TAP * n_taps bytes of workspace, 64-byte aligned. */
typedef void (*sc_dw_rows_fn)(size_t n_rows, size_t n, size_t n_taps, const float *x,
                              ptrdiff_t x_step, const ptrdiff_t *restrict off,
                              const float *restrict w, const int32_t *restrict lo,
                              const int32_t *restrict hi, float bias,
                              const sc_spmm_params *prm, float *y, ptrdiff_t y_step,
                              void *restrict ws);
enum { SC_DW_WS_BYTES_PER_TAP = 64 };

/* sc_dw_f32__ref: per output, the taps in order, one running sum.
 * sc_dw_f32__avx2 / __avx512: a column chunk at a time over all rows, 4 rows per step (each
 * tap's weight and offset loaded once for 4 rows); chunks of two vectors (8 / 16 floats)
 * where every tap is valid (8 accumulators in registers), else of one vector whose taps'
 * lane masks are computed once per chunk into ws and skipped where empty. */
#define SC_DW(name, need)                                                                  \
    void name(size_t n_rows, size_t n, size_t n_taps, const float *x, ptrdiff_t x_step,   \
              const ptrdiff_t *restrict off, const float *restrict w,                     \
              const int32_t *restrict lo, const int32_t *restrict hi, float bias,         \
              const sc_spmm_params *prm, float *y, ptrdiff_t y_step, void *restrict ws);
#include "sparse/ukernels/dw_list.inc"
#undef SC_DW

typedef struct sc_dw_info {
    const char *name;  /* without the "sc_" prefix, e.g. "dw_f32__avx2" */
    sc_cpu_set need;
    sc_dw_rows_fn fn;
} sc_dw_info;

/* Every kernel of the list, then an entry with fn == NULL. */
extern const sc_dw_info sc_dw_table[];

/* The first kernel whose needs `allowed` covers (never NULL: the portable one needs
 * nothing). */
const sc_dw_info *sc_dw_pick(sc_cpu_set allowed);

#endif
