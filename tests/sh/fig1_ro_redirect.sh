#!/bin/bash
# dmm-test: netns per-driver
# Figure 1, P4: route optimization in redirect mode (draft figure 4); the
# checks of fig1_ro_query.sh (MR31 -> MR11 directly, anchor MR12 idle in the
# steady state). Root only (else exit 77).
FIG1_MODE=redirect exec bash "$(dirname "$0")/fig1_ro_query.sh"
