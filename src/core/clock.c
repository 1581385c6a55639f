/* src/core/clock.c: the monotonic clock the plan-time measurements read */
#include <time.h>

#include "core/core.h"

double sc_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
