#!/bin/bash
# dmm-test: netns per-driver
# fig1_locator.sh in redirect mode (figure 4, P4): every MR with `routing
# locator` and `mode redirect`; see the LOC_MODE=redirect part of its
# header. With seg6 or tun: the refusal, as there.
LOC_MODE=redirect
. "$(dirname "$0")/fig1_locator.sh"
