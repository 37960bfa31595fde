// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: checks on the test kernel itself. The sanitizers the other suites
 * rely on must be built in, and a failure of each kind (expectation, KASAN,
 * UBSAN) must fail the run: boot with sipalg.kunit_fail=expect, =kasan or
 * =ubsan (SIPALG_KUNIT_ARGS=sipalg.kunit_fail=kasan make kunit) to see it.
 */
#include <kunit/test.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *kunit_fail = "";
module_param(kunit_fail, charp, 0444);
MODULE_PARM_DESC(kunit_fail, "make the harness test fail: expect, kasan or ubsan");

static void harness_sanitizers(struct kunit *test)
{
	KUNIT_EXPECT_TRUE_MSG(test, IS_ENABLED(CONFIG_KASAN),
			      "CONFIG_KASAN is off: memory errors go unseen");
	KUNIT_EXPECT_TRUE_MSG(test, IS_ENABLED(CONFIG_UBSAN),
			      "CONFIG_UBSAN is off");
	KUNIT_EXPECT_TRUE_MSG(test, IS_ENABLED(CONFIG_UBSAN_BOUNDS),
			      "CONFIG_UBSAN_BOUNDS is off");
}

static void harness_detects(struct kunit *test)
{
	unsigned char *mem, *buf;
	int shift = 40;
	unsigned char c;

	if (!strcmp(kunit_fail, "expect"))
		KUNIT_EXPECT_EQ_MSG(test, 1, 2, "failing on request");

	mem = kunit_kmalloc(test, 8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	memset(mem, 'x', 8);
	buf = mem;
	OPTIMIZER_HIDE_VAR(buf);
	c = READ_ONCE(buf[7]);
	if (!strcmp(kunit_fail, "kasan"))
		c = READ_ONCE(buf[8]);	/* one byte past a kmalloc(8): KASAN reports */
	KUNIT_EXPECT_EQ(test, c, (unsigned char)'x');

	OPTIMIZER_HIDE_VAR(shift);
	if (!strcmp(kunit_fail, "ubsan"))
		KUNIT_EXPECT_NE(test, 1 << shift, 0);	/* UBSAN reports the shift */
}

static struct kunit_case sipalg_harness_cases[] = {
	KUNIT_CASE(harness_sanitizers),
	KUNIT_CASE(harness_detects),
	{}
};

static struct kunit_suite sipalg_harness_suite = {
	.name = "sipalg_harness",
	.test_cases = sipalg_harness_cases,
};

kunit_test_suite(sipalg_harness_suite);
