/* src/core/limits.c: the public allocation limit (sc_set_alloc_limit), over the internal one */
#include "core/core.h"

sc_status sc_set_alloc_limit(size_t bytes)
{
    sc_alloc_set_limit(bytes);  /* 0: the environment's SCONV_MAX_ALLOC or the default */
    return SC_OK;
}

size_t sc_get_alloc_limit(void)
{
    return sc_alloc_limit();
}
