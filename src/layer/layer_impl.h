/* src/layer/layer_impl.h: the sc_layer struct, shared by packing, files and the planner */
#ifndef SC_LAYER_IMPL_H
#define SC_LAYER_IMPL_H

#include "layer/pack_index.h"
#include "sconv/layer.h"

/* Packed arrays (one CSR per group, stacked by output channel):
 *   row_ptr  rows+1 int64   row_ptr[r]..row_ptr[r+1] index row r's nonzeros
 *   col_idx  nnz entries    k in the pack order, uint16_t when index_bytes == 2
 *                           (cols <= 65536), uint32_t when 4; strictly increasing per row
 *   val      nnz float32    the kept weights, never exactly 0
 *   bias     oc float32 or NULL */
struct sc_layer {
    char name[SC_NAME_MAX];
    sc_wdesc wd;              /* dims; wd.layout = the layout the weights came in */
    sc_conv_params params;
    sc_pack_order order;
    int64_t rows, cols, nnz;  /* rows = oc, cols = icg*kh*kw */
    int64_t *row_ptr;
    int index_bytes;
    void *col_idx;
    float *val;
    float *bias;
    char method[SC_METHOD_MAX];
    char method_params[SC_METHOD_MAX];
    double l1_kept, l2_kept;  /* NaN when unknown */
    sc_layer_kind kind;       /* SC_LAYER_CONV (0: sc_layer_alloc's zeroed default) or
                                 SC_LAYER_CONV_TRANSPOSE (oc = Cin, icg = Cout/groups) */
    int64_t out_pad_h, out_pad_w;  /* output padding; 0 for conv layers */
};


/* Allocate a layer with zeroed arrays for nnz nonzeros (and a bias when with_bias),
 * after checking wd, params (groups divide oc) and order. Name "layer", no method. */
sc_status sc_layer_alloc(const sc_wdesc *wd, const sc_conv_params *params, sc_pack_order order,
                         int64_t nnz, bool with_bias, sc_layer **out);

/* Copy a name (<= SC_NAME_MAX-1 bytes, printable, non-empty) or method string into dst. */
sc_status sc_layer_set_text(char *dst, size_t cap, const char *src, const char *what);

/* Check the CSR invariants of a layer (pointers monotonic from 0 to nnz, columns in
 * range and strictly increasing, values nonzero and finite): SC_EFORMAT with a message. */
sc_status sc_layer_validate(const sc_layer *layer);

#endif
