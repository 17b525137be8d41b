# Testbed tools (included by the top Makefile): the traffic probe and the
# NFQUEUE delay holder used by lab/dmmlab for per-link delay.
TOOLS_CFLAGS := -std=gnu11 -g -O2 -Wall -Wextra -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Werror -D_GNU_SOURCE

$(B)/dmmprobe: tools/dmmprobe.c
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) $< -o $@

$(B)/nfqdelay: tools/nfqdelay.c
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) $< -o $@ -lnetfilter_queue -lnfnetlink

lab-tools: $(B)/dmmprobe $(B)/nfqdelay
.PHONY: lab-tools

# dpbench: route programming rate of the data plane (tools/dpbench.c),
# linked like build/dmmd from the data-plane objects and libdmm.
$(B)/dpbench: tools/dpbench.c $(DP_OBJ) $(B)/libdmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -Idataplane -I$(B)/bpf -Idataplane/bpf $< $(DP_OBJ) \
		$(B)/libdmm.a $(DMMD_LIBS) -o $@

# xlatebench: the routing locator's translation program with and without
# the transport checksum fix-up, under BPF_PROG_TEST_RUN (tools/xlatebench.c).
$(B)/xlatebench: tools/xlatebench.c $(B)/bpf/dmm_xlate.skel.h dataplane/bpf/dmm_bpf.h
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) -I$(B)/bpf -Idataplane/bpf $< -o $@ -lbpf

# The data-plane numbers of docs/BENCHMARKS.md ("Data plane"), in one run
# (root): lab/bench-dataplane.sh, results under results/dataplane/.
# (the encap object itself for ip's `encap bpf xmit pinned|obj` rows: make
# deletes it as an intermediate of the skeleton otherwise)
bench-dataplane: deps all $(B)/dpbench $(B)/xlatebench $(B)/bpf/dmm_encap.bpf.o
	lab/bench-dataplane.sh
.PHONY: bench-dataplane

# Route programming at scale in the MR, batched and not, beside ip -batch
# (docs/BENCHMARKS.md, "Route programming at scale"; issue 11 §5), one run
# (root): lab/bench-routes.sh, raw data under bench/routes/DATE/. Part of
# `make bench`. The encap object is named so that make keeps it (ip loads
# it for its routes of the same kind).
bench-routes: deps all $(B)/dpbench $(B)/bpf/dmm_encap.bpf.o
	lab/bench-routes.sh
.PHONY: bench-routes

# dmmbench: the Location Management load generator, no-op floor and MAC
# cost (tools/dmmbench.c), sealing with the core's encoder and keys.
$(B)/dmmbench: tools/dmmbench.c $(B)/libdmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) $< -o $@ $(B)/libdmm.a $(LIBS) -lm

# dmmsim: the discrete-event simulator over the unmodified core
# (tools/dmmsim/, docs/EVALUATION.md). --fig1 builds the figure-1 nodes with
# tests/lib/fig1.c, linked (not copied); vnetseq runs a dmmsim trace on the
# scenario tests' virtual network (tests/lib/vnet.c) for tests/sh/sim_fig1.sh.
DMMSIM_SRC := tools/dmmsim/dmmsim.c tools/dmmsim/engine.c
DMMSIM_LIB := tests/lib/fig1.c tests/lib/vnet.c tests/lib/vnet_rec.c
$(B)/dmmsim: $(DMMSIM_SRC) $(wildcard tools/dmmsim/*.h) $(DMMSIM_LIB) $(wildcard tests/lib/*.h) $(B)/libdmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -Itests/lib $(DMMSIM_SRC) $(DMMSIM_LIB) $(B)/libdmm.a $(LIBS) -lm -o $@
$(B)/tools/vnetseq: tools/dmmsim/vnetseq.c $(DMMSIM_LIB) $(wildcard tests/lib/*.h) $(B)/libdmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -Itests/lib $< $(DMMSIM_LIB) $(B)/libdmm.a $(LIBS) -o $@
EXTRA_ALL += $(B)/dmmsim $(B)/tools/vnetseq
# The same two under ASan+UBSan for tests/sh/sim_*.sh (make tests), linked
# with build/san/libdmm.a (the sanitized core and tests/lib objects).
$(B)/san/dmmsim: $(DMMSIM_SRC) $(wildcard tools/dmmsim/*.h) $(B)/san/libdmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Itests/lib $(SAN_FLAGS) $(DMMSIM_SRC) $(B)/san/libdmm.a $(LIBS) -lm -o $@
$(B)/san/tools/vnetseq: tools/dmmsim/vnetseq.c $(B)/san/libdmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Itests/lib $(SAN_FLAGS) $< $(B)/san/libdmm.a $(LIBS) -o $@
tests: $(B)/san/dmmsim $(B)/san/tools/vnetseq

# The simulator's figures of docs/EVALUATION.md, in a few minutes:
# results/sim/*.json, *.csv and *.png (gnuplot).
sim-demo: $(B)/dmmsim
	scripts/sim-demo.sh
.PHONY: sim-demo

# mrbench: the MR engine's per-event cost at 1k / 10k / 100k MNs, in
# process (tools/mrbench.c, docs/BENCHMARKS.md "MR tables").
$(B)/mrbench: tools/mrbench.c $(B)/libdmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) $< -o $@ $(B)/libdmm.a $(LIBS)
EXTRA_ALL += $(B)/mrbench
