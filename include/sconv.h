/* include/sconv.h: the sconv API, one include. Read the headers in this order:
 *   sconv/base.h         status codes and messages
 *   sconv/tensor.h       activation descriptors (NCHW, NHWC, strided views)
 *   sconv/weights.h      weight layouts (OIHW, OHWI, HWIO) and conversion
 *   sconv/conv_params.h  stride, padding, dilation, groups, activation, shape rules
 *                        (forward, backward data, transposed, weight gradient)
 *   sconv/dense.h        dense reference and fast dense convolution
 *   sconv/npy.h          NumPy .npy files
 *   sconv/pack_order.h   the order of the reduction index k (CHW or HWC)
 *   sconv/prune.h        magnitude pruning into masks
 *   sconv/layer.h        pruned layers packed as CSR
 *   sconv/file.h         .sconv files (safetensors layout)
 *   sconv/conv.h         the sparse operator: create -> plan -> run
 *   sconv/backward.h     backward data, transposed convolution, masked weight gradients
 */
#ifndef SCONV_H
#define SCONV_H

#include "sconv/base.h"
#include "sconv/tensor.h"
#include "sconv/weights.h"
#include "sconv/conv_params.h"
#include "sconv/dense.h"
#include "sconv/npy.h"
#include "sconv/pack_order.h"
#include "sconv/prune.h"
#include "sconv/layer.h"
#include "sconv/file.h"
#include "sconv/conv.h"
#include "sconv/backward.h"

#endif
