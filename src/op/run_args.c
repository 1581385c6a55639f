/* src/op/run_args.c: the buffer check every operator run makes: the output overlaps nothing it reads */
#include "core/core.h"
#include "layer/layer_impl.h"
#include "op/run_args.h"

sc_status sc_run_check_overlap(const char *who, const sc_layer *L, const sc_tensor *in_d,
                               const float *in, const char *in_name, const sc_tensor *out_d,
                               const void *out, size_t out_bytes, const char *out_name)
{
    const size_t ob = out_d ? sc_tensor_bytes(out_d) : out_bytes;
    if (in && sc_bytes_overlap(out, ob, in, sc_tensor_bytes(in_d)))
        return sc_fail(SC_EINVAL, "%s: %s (%p, %zu bytes) overlaps %s (%p, %zu bytes): the "
                       "operation does not run in place", who, out_name, out, ob, in_name,
                       (const void *)in, sc_tensor_bytes(in_d));
    const struct {
        const void *p;
        size_t bytes;
        const char *what;
    } arrays[4] = {
        {L->val, (size_t)L->nnz * sizeof(float), "values"},
        {L->col_idx, (size_t)L->nnz * (size_t)L->index_bytes, "column indices"},
        {L->row_ptr, ((size_t)L->rows + 1) * sizeof(int64_t), "row pointers"},
        {L->bias, L->bias ? (size_t)L->rows * sizeof(float) : 0, "bias"},
    };
    for (int i = 0; i < 4; ++i)
        if (sc_bytes_overlap(out, ob, arrays[i].p, arrays[i].bytes))
            return sc_fail(SC_EINVAL, "%s: %s (%p, %zu bytes) overlaps the layer's packed %s "
                           "('%s'): it would overwrite the weights", who, out_name, out, ob,
                           arrays[i].what, L->name);
    return SC_OK;
}
