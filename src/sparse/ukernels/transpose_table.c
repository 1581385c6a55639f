/* src/sparse/ukernels/transpose_table.c: the planner's tables of transposes and their picks, from transpose_list.inc */
#include "sparse/ukernels/transpose.h"

#include <assert.h>

const sc_transpose8_info sc_transpose8_table[] = {
#define SC_TRANSPOSE8(name, need) {#name + 3, need, name},
#define SC_TRANSPOSE8XN(name, need, src_stride, dst_stride)
#include "sparse/ukernels/transpose_list.inc"
#undef SC_TRANSPOSE8
#undef SC_TRANSPOSE8XN
    {NULL, 0, NULL}
};

const sc_transpose8xn_info sc_transpose8xn_table[] = {
#define SC_TRANSPOSE8(name, need)
#define SC_TRANSPOSE8XN(name, need, src_stride, dst_stride) \
    {#name + 3, need, src_stride, dst_stride, name},
#include "sparse/ukernels/transpose_list.inc"
#undef SC_TRANSPOSE8
#undef SC_TRANSPOSE8XN
    {NULL, 0, 0, 0, NULL}
};

sc_transpose8_fn sc_transpose8_pick(sc_cpu_set allowed)
{
    for (const sc_transpose8_info *k = sc_transpose8_table; k->fn; ++k)
        if (sc_cpu_set_has(allowed, k->need)) return k->fn;
    assert(0 && "the list ends with a portable kernel");
    return NULL;
}

sc_transpose8xn_fn sc_transpose8xn_pick(sc_cpu_set allowed, size_t src_stride,
                                        size_t dst_stride)
{
    for (const sc_transpose8xn_info *k = sc_transpose8xn_table; k->fn; ++k)
        if (sc_cpu_set_has(allowed, k->need) &&
            (k->src_stride == 0 || k->src_stride == src_stride) &&
            (k->dst_stride == 0 || k->dst_stride == dst_stride))
            return k->fn;
    assert(0 && "the list ends with a portable kernel");
    return NULL;
}
