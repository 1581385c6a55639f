/* bench/engines.c: the engine table, in the order rows appear in the CSV */
#include <string.h>

#include "bench.h"

extern const scb_engine scb_engine_sconv, scb_engine_sconv_auto, scb_engine_sconv_dense,
    scb_engine_sconv_t1;
extern const scb_engine scb_engine_onednn, scb_engine_xnnpack, scb_engine_openblas,
    scb_engine_csparse;

static const scb_engine *const table[] = {
    &scb_engine_sconv,   &scb_engine_sconv_auto, &scb_engine_sconv_dense, &scb_engine_sconv_t1,
    &scb_engine_onednn,  &scb_engine_xnnpack,    &scb_engine_openblas,    &scb_engine_csparse,
};

size_t scb_engines(const scb_engine *const **out)
{
    *out = table;
    return sizeof table / sizeof table[0];
}

const scb_engine *scb_engine_find(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i]->name, name) == 0) return table[i];
    return NULL;
}
