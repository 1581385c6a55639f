/* src/op/run_args.h: the output-overlap check shared by the operators' run entry points */
#ifndef SC_RUN_ARGS_H
#define SC_RUN_ARGS_H

#include "sconv/layer.h"

/* SC_EINVAL with a message when the output (out_d's view at out, or out_bytes from out when
 * out_d is NULL) shares a byte with the input view in_d at in (skipped when in is NULL) or
 * with any packed array of layer L (values, indices, row pointers, bias). Views are
 * checked descriptors, so their byte extents fit size_t. */
sc_status sc_run_check_overlap(const char *who, const sc_layer *L, const sc_tensor *in_d,
                               const float *in, const char *in_name, const sc_tensor *out_d,
                               const void *out, size_t out_bytes, const char *out_name);

#endif
