# SPDX-License-Identifier: GPL-2.0
# Compare the SIP messages of one call as seen on both sides of the router.
# Input: two files from sip_msgs (tests/e2e/sipcap.sh): the client side's
# capture first, then the server side's. -v cli=IP names the client's
# address, so each message's direction is known.
# Output: per message (keyed by request method or status code, plus CSeq) the
# key lines before and after the router; lines the router changed are marked
# with "*", and a final count of changed lines.

function keyline(l,   n, k) {
	if (l ~ /^[a-z]=/) return (substr(l, 1, 2) == "o=" || substr(l, 1, 2) == "c=" || substr(l, 1, 2) == "m=")
	n = index(l, ":")
	if (!n) return 0
	k = tolower(substr(l, 1, n - 1))
	sub(/[ \t]+$/, "", k)
	return (k == "via" || k == "v" || k == "contact" || k == "m" ||
		k == "content-length" || k == "l")
}

function done(   key) {
	if (!inmsg) return
	inmsg = 0
	key = (first ~ /^SIP\/2\.0 /) ? substr(first, 9, 3) : substr(first, 1, index(first, " ") - 1)
	key = key "|" cseq
	if ((key, side) in txt) return		# a retransmission: keep the first
	txt[key, side] = first "\n" lines
	addr[key, side] = from " -> " to
	src[key, side] = from
	if (!(key in seen)) { seen[key] = 1; order[++nkeys] = key }
}

/^@ [0-9]+ / {
	done()
	inmsg = 1; from = $4; to = $6; first = ""; lines = ""; cseq = ""; body = 0
	side = (FILENAME == ARGV[1]) ? "c" : "s"
	getline
	first = $0
	next
}
inmsg && /^$/ { body = 1; next }
inmsg {
	if (!body && tolower($0) ~ /^cseq[ \t]*:/) { cseq = $0; sub(/^[^:]*:[ \t]*/, "", cseq) }
	if (keyline($0)) lines = lines $0 "\n"
}
END {
	done()
	total = 0; changed = 0
	for (i = 1; i <= nkeys; i++) {
		key = order[i]
		split(key, kk, "|")
		# who sent it: the client when the client side saw it leave from cli
		b = "s"
		if ((key, "c") in src && (index(src[key, "c"], cli ":") == 1 ||
		    index(src[key, "c"], "[" cli "]:") == 1))
			b = "c"
		a = (b == "c") ? "s" : "c"
		printf "=== %s  (CSeq %s)  %s\n", (kk[1] ~ /^[0-9]+$/ ? "response " kk[1] : kk[1]), kk[2],
			(b == "c" ? "client -> server" : "server -> client")
		nb = 0
		if ((key, b) in txt) {
			printf "  %-26s %s\n", (b == "c" ? "sent by the client" : "sent by the server"), addr[key, b]
			nb = split(txt[key, b], bl, "\n")
			delete inb
			for (j = 1; j <= nb; j++) if (bl[j] != "") { inb[bl[j]] = 1; printf "      %s\n", bl[j] }
		} else {
			printf "  %-26s (not captured)\n", (b == "c" ? "sent by the client" : "sent by the server")
		}
		if ((key, a) in txt) {
			printf "  %-26s %s\n", (a == "s" ? "received by the server" : "received by the client"), addr[key, a]
			na = split(txt[key, a], al, "\n")
			for (j = 1; j <= na; j++) if (al[j] != "") {
				total++
				if (al[j] in inb) printf "      %s\n", al[j]
				else { changed++; printf "    * %s\n", al[j] }
			}
		} else {
			printf "  %-26s NOT SEEN: the router did not pass it\n", (a == "s" ? "received by the server" : "received by the client")
		}
		print ""
	}
	printf "%d of %d key lines changed on the way through the router (marked *)\n", changed, total
}
