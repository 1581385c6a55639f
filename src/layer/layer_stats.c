/* src/layer/layer_stats.c: per-layer statistics: nonzeros per row, energy kept, bytes */
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "layer/layer_impl.h"

sc_status sc_layer_get_stats(const sc_layer *l, sc_layer_stats *out)
{
    if (!l || !out) return sc_fail(SC_EINVAL, "layer stats: NULL argument");
    sc_layer_stats s;
    memset(&s, 0, sizeof s);
    s.rows = l->rows;
    s.cols = l->cols;
    s.nnz = l->nnz;
    s.sparsity = 1.0 - (double)l->nnz / ((double)l->rows * (double)l->cols);
    s.row_nnz_min = INT64_MAX;
    for (int64_t r = 0; r < l->rows; ++r) {
        const int64_t n = l->row_ptr[r + 1] - l->row_ptr[r];
        if (n < s.row_nnz_min) s.row_nnz_min = n;
        if (n > s.row_nnz_max) s.row_nnz_max = n;
        if (n == 0) s.empty_rows++;
        int64_t b = n * SC_STATS_BINS / l->cols;  /* n <= cols <= 2^32: no overflow */
        s.hist[b < SC_STATS_BINS ? b : SC_STATS_BINS - 1]++;
    }
    s.row_nnz_mean = (double)l->nnz / (double)l->rows;
    s.l1_kept = l->l1_kept;
    s.l2_kept = l->l2_kept;
    const int64_t bias = l->bias ? 4 * l->rows : 0;
    s.index_bytes = l->index_bytes;
    s.bytes_row_ptr = 8 * (l->rows + 1);
    s.bytes_packed = s.bytes_row_ptr + l->nnz * (l->index_bytes + 4) + bias;
    s.bytes_dense = 4 * l->rows * l->cols + bias;
    s.bytes_per_nnz = l->index_bytes + 4;
    s.bytes_file = (l->nnz <= INT32_MAX ? 4 : 8) * (l->rows + 1) + l->nnz * (l->index_bytes + 4) + bias;
    *out = s;
    return SC_OK;
}
