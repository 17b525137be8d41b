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

# The data-plane numbers of docs/BENCHMARKS.md ("Data plane"), in one run
# (root): lab/bench-dataplane.sh, results under results/dataplane/.
bench-dataplane: deps all $(B)/dpbench
	lab/bench-dataplane.sh
.PHONY: bench-dataplane

# dmmbench: the Location Management load generator, no-op floor and MAC
# cost (tools/dmmbench.c), sealing with the core's encoder and keys.
$(B)/dmmbench: tools/dmmbench.c $(B)/libdmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) $< -o $@ $(B)/libdmm.a $(LIBS) -lm
