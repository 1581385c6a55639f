/* src/sparse/ukernels/dw.h: the direct depthwise row kernel contract, prototypes and table */
#ifndef SC_UKERNELS_DW_H
#define SC_UKERNELS_DW_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"  /* sc_cpu_set */
#include "sparse/ukernels/spmm.h"  /* sc_spmm_params: the clamp */

/* One output row of one channel from n_taps taps t, for columns ow < n:
 *   y[ow] = clamp(bias + sum_t w[t] * src[t][ow - lo[t]])  over the t with lo[t] <= ow < hi[t]
 * with 0 <= lo[t] <= hi[t] <= n. The sum starts from bias and runs over t in order, so an
 * output depends only on its taps, not on the thread or the row around it. Reads exactly
 * src[t][0 .. hi[t] - lo[t]) (masked loads never touch the lanes outside); writes y[0..n)
 * without reading it. prm->load_y is ignored; prm->clamp as in spmm.h. */
typedef void (*sc_dw_row_fn)(size_t n, size_t n_taps, const float *const *restrict src,
                             const float *restrict w, const int32_t *restrict lo,
                             const int32_t *restrict hi, float bias,
                             const sc_spmm_params *prm, float *restrict y);

/* sc_dw_f32__ref: per column, the taps in order, one running sum.
 * sc_dw_f32__avx2 / __avx512: columns in vectors of 8 / 16, 4 vectors per step where every
 * tap is valid (one input load and one FMA per tap and vector, accumulators in registers);
 * vectors reaching a tap's clipped edge take per-tap masks. */
#define SC_DW(name, need)                                                                  \
    void name(size_t n, size_t n_taps, const float *const *restrict src,                  \
              const float *restrict w, const int32_t *restrict lo,                        \
              const int32_t *restrict hi, float bias, const sc_spmm_params *prm,          \
              float *restrict y);
#include "sparse/ukernels/dw_list.inc"
#undef SC_DW

typedef struct sc_dw_info {
    const char *name;  /* without the "sc_" prefix, e.g. "dw_f32__avx2" */
    sc_cpu_set need;
    sc_dw_row_fn fn;
} sc_dw_info;

/* Every kernel of the list, then an entry with fn == NULL. */
extern const sc_dw_info sc_dw_table[];

/* The first kernel whose needs `allowed` covers (never NULL: the portable one needs
 * nothing). */
const sc_dw_info *sc_dw_pick(sc_cpu_set allowed);

#endif
