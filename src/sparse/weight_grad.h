/* src/sparse/weight_grad.h: the masked weight-gradient engine: dW at the packed nonzeros */
#ifndef SC_WEIGHT_GRAD_H
#define SC_WEIGHT_GRAD_H

#include "core/core.h"
#include "sconv/layer.h"

/* dw[j] = dL/dW at nonzero j of L (CSR order) for input x and output gradient dy, through
 * checked descriptors and non-overlapping buffers; `threads` 0 is OpenMP's default, `isa`
 * picks the dot and transpose kernels. */
sc_status sc_wgrad_run(const sc_layer *L, const sc_tensor *xd, const float *x,
                       const sc_tensor *dyd, const float *dy, float *dw, int threads, sc_cpu_set allowed);

#endif
