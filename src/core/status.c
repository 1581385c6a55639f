/* src/core/status.c: status names, the per-thread last message, version */
#include <stdarg.h>
#include <stdio.h>

#include "core/core.h"

static _Thread_local char last_message[512];

static const char *const status_names[] = {
    [SC_OK] = "success",
    [SC_EINVAL] = "invalid argument",
    [SC_ENOMEM] = "out of memory",
    [SC_EOVERFLOW] = "size overflow",
    [SC_EUNSUPPORTED] = "unsupported",
    [SC_ESTATE] = "call out of order",
    [SC_EIO] = "input/output error",
    [SC_EFORMAT] = "malformed file",
    [SC_ENUMERIC] = "numerical check failed",
};

const char *sc_strerror(sc_status st)
{
    if ((unsigned)st < sizeof status_names / sizeof status_names[0] && status_names[st])
        return status_names[st];
    return "unknown status";
}

const char *sc_last_message(void)
{
    return last_message;
}

sc_status sc_fail(sc_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return st;
}

const char *sc_version(void)
{
#define SC_STR2(x) #x
#define SC_STR(x) SC_STR2(x)
    return SC_STR(SCONV_VERSION_MAJOR) "." SC_STR(SCONV_VERSION_MINOR) "." SC_STR(
        SCONV_VERSION_PATCH);
}
