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
