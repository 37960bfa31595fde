#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Copy SIP messages from the shared corpora into a seed directory under
# the build directory (never into the repository): seeds.sh CORPORA OUTDIR
# Prints how many files were copied.
set -euo pipefail
src=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
copy() {	# dir name-pattern
	[ -d "$src/$1" ] || return 0
	# same names in several directories: cp numbers the duplicates
	find "$src/$1" -type f -name "$2" -print0 |
		xargs -0 -r cp --backup=numbered -t "$out"
}
copy rfc4475-torture/dat '*.dat'
copy rfc5118-ipv6-torture 'ip*'
copy rfc5118-ipv6-torture 'mult*'
copy rfc5118-ipv6-torture 'port*'
copy rfc5118-ipv6-torture 'via*'
copy wireshark-samplecaptures-sip/udp-payloads '*.sip'
copy protos-c07-sip-sample/payloads '*.sip'
copy jain-sip-torture/messages '*.sip'
copy sofia-sip-parser-tests/sip '*.txt'
copy pjsip-msg-tests/msg_test '*.sip'
copy pjsip-msg-tests/fuzz-seeds/sip '*'
copy opensips-test-msgs/test '*.sip'
copy vyatta-dataplane-sip-alg/messages '*.sip'
find "$out" -type f | wc -l
