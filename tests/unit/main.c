// SPDX-License-Identifier: GPL-2.0
/* sipcore unit and corpus tests: one line per test, summary at the end */
#include "harness.h"
#include "units.h"

int main(void)
{
	units_ip();
	units_frame();
	units_parse();
	units_plan();
	units_sdp();
	units_corpus();
	return t_summary();
}
