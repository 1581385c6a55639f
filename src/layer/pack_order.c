/* src/layer/pack_order.c: names of the pack orders, for files, the command line and messages */
#include <strings.h>

#include "core/core.h"
#include "sconv/pack_order.h"

const char *sc_pack_order_name(sc_pack_order order)
{
    return order == SC_PACK_CHW ? "chw" : order == SC_PACK_HWC ? "hwc" : NULL;
}

sc_status sc_pack_order_parse(const char *name, sc_pack_order *out)
{
    if (!out) return sc_fail(SC_EINVAL, "pack order parse: out must not be NULL");
    if (name && (!strcasecmp(name, "chw") || !strcasecmp(name, "nchw"))) {
        *out = SC_PACK_CHW;
        return SC_OK;
    }
    if (name && (!strcasecmp(name, "hwc") || !strcasecmp(name, "nhwc"))) {
        *out = SC_PACK_HWC;
        return SC_OK;
    }
    return sc_fail(SC_EINVAL, "pack order '%s': expected nchw (chw) or nhwc (hwc)",
                   name ? name : "(null)");
}
