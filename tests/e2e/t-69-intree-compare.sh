#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The same scenarios with the kernel's own SIP helper (nf_conntrack_sip +
# nf_nat_sip, helper type "sip") in place of sipalg, in the same guest and
# topology, for the README's comparison table. The in-tree helper's results
# are recorded, not asserted: this file fails only when it cannot run them.
#
# This file: the UDP registration and call scenarios (t-68 does TCP, IPv6,
# hairpin and malformed). Writes $E2E_OUT/compare.md: one row per scenario,
# sipalg's result (from this run's earlier files, $SIPALG_RESULTS/t-NN-*.out)
# and the in-tree one.
. "$(dirname "$0")/lib.sh"
INTREE_FILES="t-20-udp-register t-21-udp-call t-24-media-elsewhere"
. "$(dirname "$0")/sipp/intree.sh"
