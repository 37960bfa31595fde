/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SIPALG_UNITS_H
#define SIPALG_UNITS_H
void units_frame(void);
void units_ip(void);
void units_parse(void);
void units_names(void);
void units_plan(void);
void units_sdp(void);
void units_tcp(void);
void units_corpus(void);
#endif
