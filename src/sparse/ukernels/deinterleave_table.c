/* src/sparse/ukernels/deinterleave_table.c: the planner's table of row deinterleaves and its pick, from deinterleave_list.inc */
#include "sparse/ukernels/deinterleave.h"

#include <assert.h>

const sc_deinterleave_info sc_deinterleave_table[] = {
#define SC_DEINTERLEAVE(name, need, stride) {#name + 3, need, stride, name},
#include "sparse/ukernels/deinterleave_list.inc"
#undef SC_DEINTERLEAVE
    {NULL, 0, 0, NULL}
};

sc_deinterleave_fn sc_deinterleave_pick(sc_cpu_set allowed, size_t s)
{
    for (const sc_deinterleave_info *k = sc_deinterleave_table; k->fn; ++k)
        if (sc_cpu_set_has(allowed, k->need) && (k->stride == 0 || k->stride == s))
            return k->fn;
    assert(0 && "the list ends with a portable kernel");
    return NULL;
}
