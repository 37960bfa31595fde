// SPDX-License-Identifier: GPL-2.0
/* sipcore unit and corpus tests: one line per test, summary at the end */
#include <stdlib.h>

#include "harness.h"
#include "units.h"

int main(void)
{
	/* make fuzz: the TCP model alone, with many more runs */
	if (getenv("SIPALG_TCP_ONLY")) {
		units_tcp();
		return t_summary();
	}
	units_ip();
	units_frame();
	units_parse();
	units_names();
	units_plan();
	units_sdp();
	units_tcp();
	units_corpus();
	return t_summary();
}
