/* include/sconv/layer.h: a pruned layer packed as CSR, ready for the sparse kernels */
#ifndef SCONV_LAYER_H
#define SCONV_LAYER_H

#include "sconv/conv_params.h"
#include "sconv/pack_order.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a packed layer computes. SC_LAYER_CONV (the default) is the forward convolution
 * (sc_conv_*). SC_LAYER_CONV_TRANSPOSE is a transposed convolution (PyTorch ConvTranspose2d,
 * sc_conv_transpose_* in sconv/backward.h): its weight (Cin, Cout/groups, KH, KW) is packed
 * as an OIHW layer with oc = Cin and icg = Cout/groups; the layer's stride, padding,
 * dilation and groups are the transposed conv's, plus an output padding per axis. */
typedef enum sc_layer_kind { SC_LAYER_CONV = 0, SC_LAYER_CONV_TRANSPOSE = 1 } sc_layer_kind;

/* "conv" / "conv_transpose"; NULL for an unknown value. */
SC_API const char *sc_layer_kind_name(sc_layer_kind kind);
/* Accepts "conv" and "conv_transpose" (also "transposed"); SC_EINVAL otherwise. */
SC_API sc_status sc_layer_kind_parse(const char *name, sc_layer_kind *out);

/* Check a kind and its output padding against the params: a known kind; output padding 0
 * for SC_LAYER_CONV; 0 <= out_pad < max(stride, dilation) per axis for
 * SC_LAYER_CONV_TRANSPOSE (PyTorch's rule). SC_EINVAL with a message otherwise. */
SC_API sc_status sc_layer_check_kind(sc_layer_kind kind, const sc_conv_params *params,
                              int64_t out_pad_h, int64_t out_pad_w);

/* A pruned, packed convolution layer (opaque). One CSR per group, stacked: rows are
 * output channels (group g owns rows [g*oc/groups, (g+1)*oc/groups)), columns are
 * k in [0, icg*KH*KW) in the pack order, column indices strictly increasing per row. */
typedef struct sc_layer sc_layer;

#define SC_NAME_MAX 128    /* layer names: at most 127 bytes */
#define SC_METHOD_MAX 256  /* method descriptions: at most 255 bytes */

typedef struct sc_pack_options {
    const char *name;           /* layer name; NULL -> "layer" */
    sc_conv_params params;      /* stride, padding, dilation, groups */
    sc_pack_order order;        /* pack order of the reduction index */
    const float *bias;          /* oc values, or NULL */
    const char *method;         /* pruning method recorded in the file ("l1", ...), or NULL */
    const char *method_params;  /* its parameters ("amount=0.9 convention=torch"), or NULL */
    sc_layer_kind kind;         /* SC_LAYER_CONV (0, the default) or SC_LAYER_CONV_TRANSPOSE */
    int64_t out_pad_h, out_pad_w;  /* output padding of a transposed layer: 0 <= out_pad <
                                      max(stride, dilation) per axis (PyTorch's rule); must
                                      be 0 for SC_LAYER_CONV */
} sc_pack_options;

/* Name "layer", default params, SC_PACK_CHW, no bias, method NULL, kind SC_LAYER_CONV,
 * output padding 0. A zero-initialised sc_pack_options also means a plain conv layer. */
SC_API sc_pack_options sc_pack_options_default(void);

/* Pack dense weights w (described by wd, any layout) keeping the positions where
 * mask != 0 (mask in the same layout as w; NULL keeps every nonzero weight). A kept
 * weight that is exactly 0 is not stored. Records the L1/L2 energy kept. */
SC_API sc_status sc_layer_pack(const sc_wdesc *wd, const float *w, const uint8_t *mask,
                        const sc_pack_options *opt, sc_layer **out);

/* Write the dense pruned weights in `layout` to dst (oc*icg*kh*kw floats). Exact (a -0
 * weight was not stored and comes back as +0). */
SC_API sc_status sc_layer_unpack(const sc_layer *layer, sc_wlayout layout, float *dst);

/* Deep copy. */
SC_API sc_status sc_layer_clone(const sc_layer *layer, sc_layer **out);

/* NULL is fine. */
SC_API void sc_layer_destroy(sc_layer *layer);

/* A read-only view of the packed arrays; valid while the layer lives. */
typedef struct sc_csr_view {
    int64_t rows;            /* oc */
    int64_t cols;            /* icg * kh * kw */
    int64_t nnz;
    const int64_t *row_ptr;  /* rows + 1 entries, row_ptr[0] = 0, row_ptr[rows] = nnz */
    int index_bytes;         /* 2: col_idx is uint16_t (cols <= 65536), else 4: uint32_t */
    const void *col_idx;     /* nnz entries */
    const float *val;        /* nnz entries */
} sc_csr_view;

/* Column index j of a view, whatever its width; -1 for a NULL view or index array. */
static inline int64_t sc_csr_col(const sc_csr_view *v, int64_t j)
{
    if (!v || !v->col_idx) return -1;
    return v->index_bytes == 2 ? (int64_t)((const uint16_t *)v->col_idx)[j]
                               : (int64_t)((const uint32_t *)v->col_idx)[j];
}

typedef struct sc_layer_info {
    const char *name;
    sc_wdesc wdesc;             /* dims; layout = the source layout recorded at pack time */
    sc_conv_params params;
    sc_pack_order order;
    int64_t nnz;
    double sparsity;            /* 1 - nnz / (oc*icg*kh*kw) */
    const float *bias;          /* oc values, or NULL */
    const char *method;         /* "" when unknown */
    const char *method_params;  /* "" when unknown */
    double l1_kept, l2_kept;    /* fraction of sum|w| and sum w^2 kept; NaN when unknown */
    int64_t bytes_packed;       /* row pointers + indices + values (+ bias) in memory */
    int64_t bytes_dense;        /* 4 * numel (+ bias) */
    sc_layer_kind kind;         /* conv or conv_transpose */
    int64_t out_pad_h, out_pad_w;  /* output padding (0 for conv layers) */
} sc_layer_info;

/* Fill info (pointers valid while the layer lives). */
SC_API sc_status sc_layer_get_info(const sc_layer *layer, sc_layer_info *info);
SC_API sc_status sc_layer_get_csr(const sc_layer *layer, sc_csr_view *view);

/* Statistics of a packed layer (Issue 3 "Statistics").
 * Histogram: hist[b] counts the rows whose density d = row_nnz / cols falls in
 * [b/SC_STATS_BINS, (b+1)/SC_STATS_BINS), the last bin also holding d = 1; that is,
 * b = min(SC_STATS_BINS - 1, floor(row_nnz * SC_STATS_BINS / cols)). */
#define SC_STATS_BINS 10

typedef struct sc_layer_stats {
    int64_t rows, cols;          /* oc, icg*kh*kw */
    int64_t nnz;
    double sparsity;             /* 1 - nnz / (rows*cols) */
    int64_t row_nnz_min, row_nnz_max;
    double row_nnz_mean;         /* nnz / rows */
    int64_t empty_rows;          /* rows without a nonzero */
    int64_t hist[SC_STATS_BINS]; /* rows per density bin, see above */
    double l1_kept, l2_kept;     /* fraction of sum|w| and sum w^2 kept (1 for an all-zero
                                    source); NaN when unknown */
    int64_t bytes_packed;        /* in memory: row pointers + indices + values (+ bias) */
    int64_t bytes_dense;         /* 4 * numel (+ bias) */
    int64_t bytes_row_ptr;       /* in memory: 8 * (rows + 1) */
    int index_bytes;             /* 2 (cols <= 65536) or 4 */
    double bytes_per_nnz;        /* index + value bytes per nonzero: 6 or 8 */
    int64_t bytes_file;          /* the layer's tensor bytes in a .sconv file (row pointers
                                    I32 or I64 there, + indices + values + bias) */
} sc_layer_stats;

/* Fill stats from the packed arrays. */
SC_API sc_status sc_layer_get_stats(const sc_layer *layer, sc_layer_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
