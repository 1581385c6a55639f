/* tests/core/test_median.c: the median and sort every timing summary uses, against hand values */
#include <criterion/criterion.h>
#include <math.h>

#include "core/core.h"

Test(median, odd_even_and_empty)
{
    double odd[5] = {3, -1, 7, 2, 2};
    cr_expect_eq(sc_median(odd, 5), 2.0);
    cr_expect(odd[0] == -1 && odd[1] == 2 && odd[2] == 2 && odd[3] == 3 && odd[4] == 7,
              "sorted in place, the minimum first");
    double even[4] = {10, 4, 1, 6};
    cr_expect_eq(sc_median(even, 4), 5.0, "the mean of the middle two");
    double one[1] = {0.25};
    cr_expect_eq(sc_median(one, 1), 0.25);
    cr_expect(isnan(sc_median(NULL, 0)), "no samples: NaN");
}

Test(median, sort_is_ascending)
{
    double v[6] = {0.5, -2, 9, 0.5, 3, -7};
    const double want[6] = {-7, -2, 0.5, 0.5, 3, 9};
    sc_sort_doubles(v, 6);
    for (int i = 0; i < 6; ++i) cr_expect_eq(v[i], want[i], "v[%d]", i);
    sc_sort_doubles(NULL, 0);  /* nothing to sort: no access */
}
