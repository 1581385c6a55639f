/* tests/sparse/test_scratch.c: the operator's idle scratch block: reuse, growth, concurrent takers */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "core/core.h"
#include "core/scratch.h"

/* Fill a block end to end (the sanitizer build checks the bytes are really there). */
static void touch(void *block, size_t bytes)
{
    memset(block, 0xA5, bytes);
}

Test(scratch, a_block_given_back_is_taken_again_while_large_enough)
{
    sc_scratch_slot slot = {NULL};
    void *a = sc_scratch_take(&slot, 1000);
    cr_assert_not_null(a);
    cr_expect_eq((uintptr_t)a % 64, 0, "blocks are 64-byte aligned");
    touch(a, 1000);
    sc_scratch_give(&slot, a);
    void *b = sc_scratch_take(&slot, 1000);
    cr_expect_eq(b, a, "the idle block is reused for the same size");
    sc_scratch_give(&slot, b);
    void *c = sc_scratch_take(&slot, 10);
    cr_expect_eq(c, a, "and for a smaller one");
    touch(c, 1000);  /* still the whole first size */
    sc_scratch_give(&slot, c);
    void *d = sc_scratch_take(&slot, 5000);
    cr_assert_not_null(d);
    cr_expect_eq((uintptr_t)d % 64, 0);
    touch(d, 5000);  /* a larger request gets a new, larger block (the old one is freed) */
    sc_scratch_give(&slot, d);
    cr_expect_eq(atomic_load(&slot.idle), d, "the larger block is now the idle one");
    sc_scratch_release(&slot);
    cr_expect_null(atomic_load(&slot.idle));
    sc_scratch_release(&slot);  /* releasing an empty slot is harmless */
}

Test(scratch, concurrent_takers_get_distinct_blocks_and_one_is_kept)
{
    sc_scratch_slot slot = {NULL};
    void *a = sc_scratch_take(&slot, 256);
    void *b = sc_scratch_take(&slot, 256);  /* the slot is empty: a block of its own */
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_expect_neq(a, b);
    touch(a, 256);
    touch(b, 256);
    sc_scratch_give(&slot, a);
    sc_scratch_give(&slot, b);  /* the slot is full: b is freed (a leak would fail ASan) */
    cr_expect_eq(atomic_load(&slot.idle), a);
    sc_scratch_give(&slot, NULL);  /* nothing to give: no change */
    cr_expect_eq(atomic_load(&slot.idle), a);
    sc_scratch_release(&slot);
}

Test(scratch, an_impossible_size_or_a_failed_allocation_gives_null)
{
    sc_scratch_slot slot = {NULL};
    cr_expect_null(sc_scratch_take(&slot, SIZE_MAX), "no overflow into a small block");
    cr_expect_null(sc_scratch_take(&slot, SIZE_MAX - 10));
    void *a = sc_scratch_take(&slot, 64);
    sc_scratch_give(&slot, a);
    sc_alloc_fail_at(1);  /* the next allocation fails */
    cr_expect_null(sc_scratch_take(&slot, 4096), "too small idle block, no new one");
    sc_alloc_fail_at(0);
    cr_expect_null(atomic_load(&slot.idle), "the too small idle block was freed");
    void *b = sc_scratch_take(&slot, 4096);
    cr_expect_not_null(b);
    sc_scratch_give(&slot, b);
    sc_scratch_release(&slot);
}
