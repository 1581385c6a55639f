/* src/sparse/weight_grad_kernels.h: the sampled dot-product kernels of the masked weight gradient */
#ifndef SC_WEIGHT_GRAD_KERNELS_H
#define SC_WEIGHT_GRAD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"  /* sc_cpu_set */

/* For one output channel's nnz nonzeros j and m pixels p:
 *   sums[j] = sum_{p < m} y[p] * x[off[j] + p]
 * y is the channel's flat dY row (zeros in garbage columns), x the image's packed input
 * planes; off[j] in floats. Every x[off[j] .. off[j] + m) must be readable. The summation
 * order is fixed by m alone (no dependence on threads). Writes sums without reading it. */
typedef void (*sc_wgrad_dot_fn)(size_t m, size_t nnz, const float *restrict y,
                                const float *restrict x, const int64_t *restrict off,
                                float *restrict sums);

/* sc_wgrad_dot_f32__ref: one running sum per nonzero, pixels in order.
 * sc_wgrad_dot_f32__avx2: four nonzeros at a time share each dY load, two ymm accumulators
 * per nonzero over 16 pixels (8 independent FMA chains), masked loads for the last m % 8
 * pixels. */
#define SC_WGRAD_DOT(name, need)                                                        \
    void name(size_t m, size_t nnz, const float *restrict y, const float *restrict x, \
              const int64_t *restrict off, float *restrict sums);
#include "sparse/weight_grad_list.inc"
#undef SC_WGRAD_DOT

typedef struct sc_wgrad_dot_info {
    const char *name;  /* without the "sc_" prefix */
    sc_cpu_set need;
    sc_wgrad_dot_fn fn;
} sc_wgrad_dot_info;

/* Every kernel of the list, then an entry with fn == NULL. */
extern const sc_wgrad_dot_info sc_wgrad_dot_table[];

/* The first kernel whose needs `allowed` covers (never NULL: the portable one needs
 * nothing). */
sc_wgrad_dot_fn sc_wgrad_dot_pick(sc_cpu_set allowed);

#endif
