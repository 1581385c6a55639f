/* tests/prune/test_spec.c: method strings, conventions and the recorded parameter text */
#include <criterion/criterion.h>

#include "sconv.h"

Test(spec, parse_every_documented_string)
{
    sc_prune_spec s = sc_prune_spec_default();
    s.amount = 0.7;  /* parse leaves amount, convention, order, groups alone */
    s.convention = SC_CONV_TFMOT;
    s.order = SC_PACK_HWC;
    s.groups = 4;
    cr_assert_eq(sc_prune_spec_parse("l1", &s), SC_OK);
    cr_expect_eq(s.method, SC_PRUNE_L1);
    cr_assert_eq(sc_prune_spec_parse("per-filter", &s), SC_OK);
    cr_expect_eq(s.method, SC_PRUNE_PER_FILTER);
    cr_assert_eq(sc_prune_spec_parse("GLOBAL", &s), SC_OK);
    cr_expect_eq(s.method, SC_PRUNE_GLOBAL);
    cr_assert_eq(sc_prune_spec_parse("threshold", &s), SC_OK);
    cr_expect_eq(s.method, SC_PRUNE_THRESHOLD);
    cr_assert_eq(sc_prune_spec_parse("block:4x1", &s), SC_OK);
    cr_expect(s.method == SC_PRUNE_BLOCK && s.block_r == 4 && s.block_c == 1 &&
              s.block_score == SC_SCORE_L1);
    cr_assert_eq(sc_prune_spec_parse("block:2x2:l2", &s), SC_OK);
    cr_expect(s.block_r == 2 && s.block_c == 2 && s.block_score == SC_SCORE_L2);
    cr_assert_eq(sc_prune_spec_parse("block:1x4:mean", &s), SC_OK);
    cr_expect(s.block_r == 1 && s.block_c == 4 && s.block_score == SC_SCORE_MEAN);
    cr_assert_eq(sc_prune_spec_parse("nm:2:4", &s), SC_OK);
    cr_expect(s.method == SC_PRUNE_NM && s.n == 2 && s.m == 4);
    cr_assert_eq(sc_prune_spec_parse("filter:l1", &s), SC_OK);
    cr_expect(s.method == SC_PRUNE_FILTER && s.norm_p == 1.0);
    cr_assert_eq(sc_prune_spec_parse("filter:l2", &s), SC_OK);
    cr_expect(s.norm_p == 2.0);
    s.norm_p = 1.0;
    cr_assert_eq(sc_prune_spec_parse("filter", &s), SC_OK);
    cr_expect(s.norm_p == 2.0);
    cr_expect(s.amount == 0.7 && s.convention == SC_CONV_TFMOT && s.order == SC_PACK_HWC &&
              s.groups == 4);
}

Test(spec, parse_rejects_and_leaves_spec_untouched)
{
    const char *bad[] = {"", "l2", "l1:", "block", "block:4", "block:4x", "block:x4", "block:0x4",
                         "block:4x1:max", "block:4x1:l1:x", "block:-1x4", "block:4x1x2",
                         "nm:2", "nm:4:2", "nm:0:4", "nm:2:4:1", "nm:a:4", "nm:2:4 ",
                         "filter:l3", "filter:l1:l2", "per-filter:2", "threshold:1",
                         "block:99999999999x1", "a:b:c:d:e"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        sc_prune_spec s = sc_prune_spec_default(), before = s;
        cr_expect_eq(sc_prune_spec_parse(bad[i], &s), SC_EINVAL, "'%s'", bad[i]);
        cr_expect(memcmp(&s, &before, sizeof s) == 0, "'%s' left the spec untouched", bad[i]);
        cr_expect(strstr(sc_last_message(), bad[i]) != NULL, "%s", sc_last_message());
    }
    sc_prune_spec s = sc_prune_spec_default();
    cr_expect_eq(sc_prune_spec_parse(NULL, &s), SC_EINVAL);
    cr_expect_eq(sc_prune_spec_parse("l1", NULL), SC_EINVAL);
}

Test(spec, names_and_conventions)
{
    cr_expect_str_eq(sc_prune_method_name(SC_PRUNE_PER_FILTER), "per-filter");
    cr_expect_str_eq(sc_prune_method_name(SC_PRUNE_NM), "nm");
    cr_expect_null(sc_prune_method_name((sc_prune_method)99));
    sc_prune_convention c = SC_CONV_TORCH;
    cr_expect_eq(sc_prune_convention_parse("TFMOT", &c), SC_OK);
    cr_expect_eq(c, SC_CONV_TFMOT);
    cr_expect_eq(sc_prune_convention_parse("pytorch", &c), SC_OK);
    cr_expect_eq(c, SC_CONV_TORCH);
    cr_expect_eq(sc_prune_convention_parse("keras", &c), SC_EINVAL);
    cr_expect_str_eq(sc_prune_convention_name(SC_CONV_TFMOT), "tfmot");
}

static void expect_text(const char *method, double amount, int64_t count, const char *text)
{
    sc_prune_spec s = sc_prune_spec_default();
    cr_assert_eq(sc_prune_spec_parse(method, &s), SC_OK);
    s.amount = amount;
    s.count = count;
    s.threshold = 0.01;
    char buf[SC_METHOD_MAX];
    cr_assert_eq(sc_prune_spec_describe(&s, buf, sizeof buf), SC_OK, "%s", sc_last_message());
    cr_expect_str_eq(buf, text);
}

Test(spec, describe_text)
{
    expect_text("l1", 0.9, -1, "amount=0.9 convention=torch");
    expect_text("global", 0.5, -1, "amount=0.5 convention=torch");
    expect_text("per-filter", 0.25, 3, "count=3");
    expect_text("block:4x1", 0.5, -1, "block=4x1 score=l1 order=chw groups=1 amount=0.5 convention=torch");
    expect_text("block:2x2:l2", 0.75, -1, "block=2x2 score=l2 order=chw groups=1 amount=0.75 convention=torch");
    expect_text("block:1x4:mean", 0.1, -1, "block=1x4 score=mean order=chw groups=1 amount=0.1 convention=torch");
    expect_text("nm:2:4", 0.3, -1, "n=2 m=4 order=chw convention=torch");
    expect_text("filter:l1", 0.25, -1, "norm=l1 amount=0.25 convention=torch");
    expect_text("filter", 0.125, 2, "norm=l2 count=2");
    expect_text("threshold", 0.5, -1, "threshold=0.01");
    expect_text("l1", 1.0 / 3.0, -1, "amount=0.33333333333333331 convention=torch");

    sc_prune_spec s = sc_prune_spec_default();
    s.convention = SC_CONV_TFMOT;
    s.amount = 0.5;
    char small[8], buf[64];
    memset(small, 'x', sizeof small);
    cr_expect_eq(sc_prune_spec_describe(&s, small, sizeof small), SC_EINVAL);
    cr_expect_eq(small[0], 'x', "buffer untouched");
    cr_assert_eq(sc_prune_spec_describe(&s, buf, sizeof buf), SC_OK);
    cr_expect_str_eq(buf, "amount=0.5 convention=tfmot");
    s.amount = 2.0;
    cr_expect_eq(sc_prune_spec_describe(&s, buf, sizeof buf), SC_EINVAL);

    /* N:M records its convention, which decides the groups; an unknown one is refused */
    cr_assert_eq(sc_prune_spec_parse("nm:2:4", &s), SC_OK);
    s.order = SC_PACK_HWC;
    cr_assert_eq(sc_prune_spec_describe(&s, buf, sizeof buf), SC_OK, "%s", sc_last_message());
    cr_expect_str_eq(buf, "n=2 m=4 order=hwc convention=tfmot");
    s.convention = (sc_prune_convention)7;
    cr_expect_eq(sc_prune_spec_check(&s), SC_EINVAL);
}
