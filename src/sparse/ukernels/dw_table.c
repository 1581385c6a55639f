/* src/sparse/ukernels/dw_table.c: the table of direct depthwise rows kernels and its pick, from dw_list.inc */
#include "sparse/ukernels/dw.h"

#include <assert.h>

const sc_dw_info sc_dw_table[] = {
#define SC_DW(name, need) {#name + 3, need, name},
#include "sparse/ukernels/dw_list.inc"
#undef SC_DW
    {NULL, 0, NULL}
};

const sc_dw_info *sc_dw_pick(sc_cpu_set allowed)
{
    for (const sc_dw_info *k = sc_dw_table; k->fn; ++k)
        if (sc_cpu_set_has(allowed, k->need)) return k;
    assert(0 && "the list ends with a portable kernel");
    return NULL;
}
