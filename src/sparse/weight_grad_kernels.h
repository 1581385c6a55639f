/* src/sparse/weight_grad_kernels.h: the sampled dot-product kernels of the masked weight gradient */
#ifndef SC_WEIGHT_GRAD_KERNELS_H
#define SC_WEIGHT_GRAD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* For one output channel's nnz nonzeros j and m pixels p:
 *   sums[j] = sum_{p < m} y[p] * x[off[j] + p]
 * y is the channel's flat dY row (zeros in garbage columns), x the image's packed input
 * planes; off[j] in floats. Every x[off[j] .. off[j] + m) must be readable. The summation
 * order is fixed by m alone (no dependence on threads). Writes sums without reading it. */
typedef void (*sc_wgrad_dot_fn)(size_t m, size_t nnz, const float *restrict y,
                                const float *restrict x, const int64_t *restrict off,
                                float *restrict sums);

/* Portable C: one running sum per nonzero, pixels in order. */
void sc_wgrad_dot_f32__ref(size_t m, size_t nnz, const float *restrict y,
                           const float *restrict x, const int64_t *restrict off,
                           float *restrict sums);

/* AVX2+FMA: four nonzeros at a time share each dY load, two ymm accumulators per nonzero
 * over 16 pixels (8 independent FMA chains), masked loads for the last m % 8 pixels. */
void sc_wgrad_dot_f32__avx2(size_t m, size_t nnz, const float *restrict y,
                            const float *restrict x, const int64_t *restrict off,
                            float *restrict sums);

#endif
