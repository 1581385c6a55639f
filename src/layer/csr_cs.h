/* src/layer/csr_cs.h: a packed layer through SuiteSparse CXSparse: assembly, checks, transpose */
#ifndef SC_LAYER_CSR_CS_H
#define SC_LAYER_CSR_CS_H

#include <suitesparse/cs.h>

#include "layer/layer_impl.h"

/* CXSparse allocates with malloc/free, not sc_malloc: its matrices are invisible to the
 * allocation limit and to failure injection. These helpers are for checks, tests and
 * one-off conversions, never the convolution hot path; each frees every CXSparse object
 * it makes before returning (sc_layer_to_cs hands one to the caller, to free with
 * cs_dl_spfree), and what it returns to the library lives in sc_malloc'd memory. */

/* A = the layer's matrix W (rows = oc, cols = icg*kh*kw in pack order), double values, in
 * CSparse compressed-column form, assembled from triplets (cs_dl_entry + cs_dl_compress).
 * SC_EFORMAT if two triplets share a position (cs_dl_dupl would merge them),
 * SC_ENOMEM if CSparse cannot allocate. Free *out with cs_dl_spfree. */
sc_status sc_layer_to_cs(const sc_layer *layer, cs_dl **out);

/* Independent check of the packed arrays: rebuild W with CSparse from the layer's triplets,
 * transpose it with cs_dl_transpose (which sorts) and require the result's pointers,
 * indices and values to equal row_ptr, col_idx, val exactly. SC_EFORMAT on a difference. */
sc_status sc_layer_check_cs(const sc_layer *layer);

/* W in compressed-sparse-column form (= CSR of W^T), the access pattern transposed
 * convolution needs:
 *   col_ptr  cols+1 int64   col_ptr[k]..col_ptr[k+1] index column k's nonzeros
 *   row_idx  nnz int64      output channel of each nonzero, strictly increasing per column
 *   val      nnz float      the same values as the layer's
 * All arrays sc_malloc'd; release with sc_csc_release. */
typedef struct sc_csc {
    int64_t rows, cols, nnz;
    int64_t *col_ptr;
    int64_t *row_idx;
    float *val;
} sc_csc;

/* Compute the CSC of a layer with cs_dl_transpose on its CSR (viewed as CSC of W^T).
 * On failure *out is untouched. */
sc_status sc_layer_transpose_csc(const sc_layer *layer, sc_csc *out);

/* Free the arrays and zero the struct; NULL and released structs are fine. */
void sc_csc_release(sc_csc *csc);

#endif
