/* src/core/median.c: sorting samples and their median, for every timing summary */
#include <math.h>
#include <stdlib.h>

#include "core/core.h"

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void sc_sort_doubles(double *v, size_t n)
{
    if (n > 1) qsort(v, n, sizeof *v, by_value);
}

double sc_median(double *v, size_t n)
{
    if (n == 0) return NAN;
    sc_sort_doubles(v, n);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
