// SPDX-License-Identifier: GPL-2.0
/*
 * sipcore: a plan's edits described per line, as a person reads them: the
 * header (or SDP line) each edit falls in, and that line before and after
 * the edits. What the kernel's monitor events carry (kmod/monitor.c).
 */
#include "sa_util.h"

/*
 * Lines as the parser reads them: a line ends at LF, without the CR of a
 * CRLF; a bare CR inside one starts no line.
 */

/* the end of the line holding off: the CR of its CRLF, its LF, or len */
static u32 sa_eol(const u8 *msg, u32 len, u32 off)
{
	u32 e = off;

	while (e < len && msg[e] != '\n')
		e++;
	if (e > off && msg[e - 1] == '\r')
		e--;
	return e;
}

/* the start of the line holding off */
static u32 sa_bol(const u8 *msg, u32 off)
{
	while (off > 0 && msg[off - 1] != '\n')
		off--;
	return off;
}

u16 sa_line_next(const u8 *msg, size_t len, const struct sa_msg *m,
		 const struct sa_plan *plan, u16 i,
		 struct sa_line_edit *le)
{
	u32 n = len > SA_MAX_MSG ? SA_MAX_MSG : (u32)len;
	u32 s, e, k;
	s32 grow = 0;

	memset(le, 0, sizeof(*le));
	if (i >= plan->n || plan->e[i].off > n)
		return plan->n;
	/* the line's start: back from the first edit to a line end */
	s = sa_bol(msg, plan->e[i].off);
	e = sa_eol(msg, n, s);
	le->first = i;
	/* every edit that starts in the line; one that runs past it widens it */
	while (i < plan->n && plan->e[i].off <= e) {
		const struct sa_edit *x = &plan->e[i];

		if (x->off + x->len > e)
			e = sa_eol(msg, n, x->off + x->len > n ? n :
				   x->off + x->len);
		grow += (s32)x->text_len - (s32)x->len;
		i++;
	}
	le->n = i - le->first;
	le->off = s;
	le->len = e - s;
	le->new_len = (u32)((s32)le->len + grow);
	if (s <= m->start_line.off) {
		/* (after the CRLFs that may come before it) */
		le->where = SA_WHERE_START;
	} else if (s >= m->hdr_len) {
		/* a body line: "c=" and the like; a part header by its name */
		le->where = SA_WHERE_BODY;
		le->name.off = s;
		le->name.len = e - s >= 2 && msg[s + 1] == '=' ? 2 : 0;
	} else {
		/* a folded line (SP or HT first) is its header's */
		k = s;
		while (k > m->start_line.off && (msg[k] == ' ' || msg[k] == '\t'))
			k = sa_bol(msg, k - 1);
		le->where = SA_WHERE_HEADER;
		le->name.off = k;
	}
	if (le->where != SA_WHERE_START && !le->name.len) {
		/* a header's name: up to the colon, at most 64 bytes */
		u32 h = le->name.off, he = sa_eol(msg, n, h);

		for (k = h; k < he && k - h < 64 && msg[k] != ':'; k++)
			;
		while (k > h && (msg[k - 1] == ' ' || msg[k - 1] == '\t'))
			k--;
		le->name.len = k - h;
	}
	return i;
}

size_t sa_line_apply(const u8 *msg, const struct sa_plan *plan,
		     const struct sa_line_edit *le, u8 *out, size_t cap)
{
	u32 pos = le->off, end = le->off + le->len;
	size_t w = 0;
	u16 i;

#define SA_PUT(src, cnt) do {					\
		size_t c_ = (cnt);				\
		if (c_ > cap - w)				\
			c_ = cap - w;				\
		memcpy(out + w, (src), c_);			\
		w += c_;					\
	} while (0)

	for (i = le->first; i < le->first + le->n && i < plan->n; i++) {
		const struct sa_edit *x = &plan->e[i];

		if (x->off > pos)
			SA_PUT(msg + pos, x->off - pos);
		SA_PUT(plan->text + x->text_off, x->text_len);
		pos = x->off + x->len;
	}
	if (end > pos)
		SA_PUT(msg + pos, end - pos);
#undef SA_PUT
	return w;
}
