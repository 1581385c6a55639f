/* src/core/threads.c: the thread-count rule every entry point with a threads option shares */
#include "core/core.h"

sc_status sc_threads_check(const char *who, int threads)
{
    if (threads < 0 || threads > SC_THREADS_MAX)
        return sc_fail(SC_EINVAL, "%s: threads = %d: must be in [0, %d] (0 = the OpenMP "
                       "default; SC_THREADS_MAX bounds the threads one call starts)", who,
                       threads, SC_THREADS_MAX);
    return SC_OK;
}
