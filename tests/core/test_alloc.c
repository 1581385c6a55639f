/* tests/core/test_alloc.c: the allocation wrapper: limit, overflow, failure injection */
#include <criterion/criterion.h>

#include "core/core.h"

Test(alloc, limit_and_overflow)
{
    void *p = NULL;
    sc_alloc_set_limit(1024);
    cr_expect_eq(sc_alloc_array(&p, 2048, 1, false, "big"), SC_ENOMEM);
    cr_expect(strstr(sc_last_message(), "limit") != NULL, "%s", sc_last_message());
    cr_expect_null(sc_malloc(4096));
    cr_expect_eq(sc_alloc_array(&p, SIZE_MAX / 2, 4, false, "wrap"), SC_EOVERFLOW);
    cr_assert_eq(sc_alloc_array(&p, 16, 4, true, "small"), SC_OK);
    for (int i = 0; i < 16; ++i) cr_expect_eq(((int *)p)[i], 0);
    sc_free(p);
    sc_alloc_set_limit(0);
    cr_expect_eq(sc_alloc_limit(), SC_DEFAULT_ALLOC_LIMIT);
}

Test(alloc, fail_nth)
{
    sc_alloc_fail_at(2);
    void *a = sc_malloc(8), *b = sc_malloc(8), *c = sc_malloc(8);
    cr_expect_not_null(a);
    cr_expect_null(b, "the 2nd allocation fails");
    cr_expect_not_null(c);
    cr_expect_eq(sc_alloc_fail_at(0), 3);
    sc_free(a); sc_free(c);
}

Test(alloc, checked_product)
{
    const int64_t ok[3] = {1000, 1000, 1000}, bad[2] = {INT64_C(1) << 40, INT64_C(1) << 30},
                  neg[2] = {4, -1};
    cr_expect_eq(sc_checked_product(ok, 3), 1000000000);
    cr_expect_eq(sc_checked_product(bad, 2), -1);
    cr_expect_eq(sc_checked_product(neg, 2), -1);
}
