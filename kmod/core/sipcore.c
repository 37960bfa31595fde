// SPDX-License-Identifier: GPL-2.0
/* placeholder: the core is being written (see sipcore.h) */
#include "sipcore.h"

const char *sa_reason_str(enum sa_reason r)
{
	return r == SA_R_OK ? "ok" : "refused";
}
