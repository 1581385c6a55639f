/* tests/core/test_wstrides.c: element strides of the logical weight axes, by hand per layout */
#include <criterion/criterion.h>

#include "core/core.h"

static void expect_strides(sc_wlayout layout, const int64_t want[4])
{
    const sc_wdesc wd = {layout, 5, 3, 2, 4};  /* O, I, KH, KW all distinct */
    int64_t s[4];
    sc_wdesc_strides(&wd, s);
    for (int d = 0; d < 4; ++d)
        cr_expect_eq(s[d], want[d], "%s axis %d: %lld, want %lld", sc_wlayout_name(layout), d,
                     (long long)s[d], (long long)want[d]);
    /* the flat index agrees with the strides at the far corner */
    cr_expect_eq(sc_wdesc_index(&wd, 4, 2, 1, 3), 4 * s[0] + 2 * s[1] + 1 * s[2] + 3 * s[3]);
    cr_expect_eq(sc_wdesc_index(&wd, 4, 2, 1, 3), 5 * 3 * 2 * 4 - 1, "the last element");
}

Test(wstrides, each_layout)
{
    /* OIHW shape (5, 3, 2, 4); OHWI (5, 2, 4, 3); HWIO (2, 4, 3, 5) */
    expect_strides(SC_OIHW, (const int64_t[4]){24, 8, 4, 1});
    expect_strides(SC_OHWI, (const int64_t[4]){24, 1, 12, 3});
    expect_strides(SC_HWIO, (const int64_t[4]){1, 5, 60, 15});
}

Test(wstrides, unknown_layout_gives_zeros)
{
    const sc_wdesc wd = {(sc_wlayout)7, 5, 3, 2, 4};
    int64_t s[4] = {1, 1, 1, 1};
    sc_wdesc_strides(&wd, s);
    for (int d = 0; d < 4; ++d) cr_expect_eq(s[d], 0);
    sc_wdesc_strides(NULL, s);
    for (int d = 0; d < 4; ++d) cr_expect_eq(s[d], 0);
    cr_expect_eq(sc_wdesc_index(&wd, 0, 0, 0, 0), -1);
}
