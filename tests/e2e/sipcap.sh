# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Read SIP messages out of a packet capture (tcpdump -w file), without tshark.
# Each UDP datagram or TCP segment whose payload starts like a SIP request or
# response is one message (a message split over TCP segments shows as its
# first segment only).
#
#   sip_msgs PCAP
#       every SIP message as a block: a line "@ N udp|tcp SRC > DST" (SRC and
#       DST as ip:port, IPv6 as [addr]:port), then the message, CRs removed
#   sip_field PCAP MATCH FIELD [N]
#       in the Nth message (default 1) whose start line matches the extended
#       regex MATCH, the value of each FIELD line, one a line: a SIP header by
#       name, case-insensitive, compact form included ("Via" also finds "v:"),
#       or an SDP line type such as "c=" or "m=" (searched in the body)
#   sip_src PCAP MATCH [N] / sip_dst PCAP MATCH [N]
#       that message's source / destination ip:port
#   sip_count PCAP MATCH
#       how many messages' start lines match MATCH
#
# Examples:  sip_field "$CAP_SRV" '^INVITE ' Via
#            sip_field "$CAP_SRV" '^SIP/2.0 200' c=
#            sip_src "$CAP_SRV" '^INVITE '        -> 198.51.100.1:40123

sip_msgs() {
	local pcap=${1:?sip_msgs PCAP}
	tcpdump -r "$pcap" -nn -tt -x 2>/dev/null | LC_ALL=C awk '
	function h2d(s,   i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	function addr(s,   k, ip) {
		sub(/:$/, "", s)
		k = match(s, /\.[0-9]+$/)
		if (!k) return s
		ip = substr(s, 1, k - 1)
		if (index(ip, ":")) ip = "[" ip "]"
		return ip ":" substr(s, k + 1)
	}
	function flush(   v, proto, off, l4, pay, i, c, txt) {
		if (hex == "" || src == "") { hex = ""; return }
		v = substr(hex, 1, 1)
		if (v == "4") { off = h2d(substr(hex, 2, 1)) * 4; proto = h2d(substr(hex, 19, 2)) }
		else if (v == "6") { off = 40; proto = h2d(substr(hex, 13, 2)) }
		else { hex = ""; return }
		if (proto == 17) { l4 = "udp"; off += 8 }
		else if (proto == 6) { l4 = "tcp"; off += h2d(substr(hex, (off + 12) * 2 + 1, 1)) * 4 }
		else { hex = ""; return }
		pay = substr(hex, off * 2 + 1)
		hex = ""
		txt = ""
		for (i = 1; i < length(pay); i += 2) {
			c = substr(pay, i, 2)
			if (c != "0d") txt = txt chr[c]
		}
		if (txt !~ /^(SIP\/2\.0 [0-9][0-9][0-9] |[A-Z]+ [^ ]+ SIP\/2\.0\n)/) return
		n++
		print "@ " n " " l4 " " src " > " dst
		sub(/\n+$/, "", txt)
		print txt
	}
	BEGIN {
		for (i = 0; i < 256; i++) chr[sprintf("%02x", i)] = sprintf("%c", i)
		n = 0; hex = ""; src = ""
	}
	/^[0-9]/ {
		flush()
		src = ""; dst = ""
		if ($2 == "IP" || $2 == "IP6") { src = addr($3); dst = addr($5) }
		next
	}
	/^[ \t]+0x[0-9a-f]+:/ {
		line = $0
		sub(/^[ \t]+0x[0-9a-f]+:[ \t]*/, "", line)
		gsub(/[ \t]/, "", line)
		hex = hex line
		next
	}
	END { flush() }
	'
}

# select the Nth message whose start line matches MATCH; print its block
sip__pick() {
	local pcap=$1 match=$2 nth=${3:-1}
	sip_msgs "$pcap" | awk -v re="$match" -v nth="$nth" '
		/^@ [0-9]+ / { hdr = $0; getline; inmsg = 0
			if ($0 ~ re && ++seen == nth) { print hdr; inmsg = 1 }
			if (inmsg) print; next }
		inmsg { print }
	'
}

sip_field() {
	local pcap=${1:?sip_field PCAP MATCH FIELD [N]} match=$2 field=$3 nth=${4:-1}
	sip__pick "$pcap" "$match" "$nth" | awk -v f="$field" '
	BEGIN {
		f = tolower(f)
		sdp = (f ~ /^[a-z]=$/)
		split("via v contact m from f to t call-id i content-length l content-type c supported k subject s", a, " ")
		for (i = 1; i < 16; i += 2) { alias[a[i]] = a[i + 1]; alias[a[i + 1]] = a[i] }
	}
	NR == 1 { next }			# the "@" line
	NR == 2 { next }			# the start line
	/^$/ && !body { body = 1; next }
	sdp && body && index($0, f) == 1 { print substr($0, 3); next }
	!sdp && !body {
		k = index($0, ":")
		if (!k) next
		name = tolower(substr($0, 1, k - 1))
		sub(/[ \t]+$/, "", name)
		if (name == f || (f in alias && name == alias[f])) {
			v = substr($0, k + 1)
			sub(/^[ \t]+/, "", v)
			print v
		}
	}
	'
}

sip_src() {
	sip__pick "${1:?sip_src PCAP MATCH [N]}" "$2" "${3:-1}" | awk 'NR == 1 { print $4 }'
}

sip_dst() {
	sip__pick "${1:?sip_dst PCAP MATCH [N]}" "$2" "${3:-1}" | awk 'NR == 1 { print $6 }'
}

sip_count() {
	sip_msgs "${1:?sip_count PCAP MATCH}" | awk -v re="$2" '
		/^@ [0-9]+ / { getline; if ($0 ~ re) c++ } END { print c + 0 }'
}
