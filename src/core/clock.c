/* src/core/clock.c: the one monotonic clock: plan-time measurements, CLI and bench timings */
#include <time.h>

#include "core/core.h"

double sc_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
