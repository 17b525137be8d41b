# The bpf driver's programs (included by the top-level Makefile, after
# daemon/build.mk). clang -target bpf against Debian's libbpf-dev headers;
# bpftool turns each object into a skeleton header that embeds it, so dmmd
# needs no file at run time.
BPF_SRC := $(sort $(wildcard dataplane/bpf/*.bpf.c))
BPF_SKEL := $(BPF_SRC:dataplane/bpf/%.bpf.c=$(B)/bpf/%.skel.h)
BPF_CFLAGS := -O2 -g -target bpf -I/usr/include/$(shell $(CC) -dumpmachine) -Idataplane/bpf

$(B)/bpf/%.bpf.o: dataplane/bpf/%.bpf.c dataplane/bpf/dmm_bpf.h
	@mkdir -p $(dir $@)
	clang $(BPF_CFLAGS) -c $< -o $@
$(B)/bpf/%.skel.h: $(B)/bpf/%.bpf.o
	bpftool gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

$(B)/obj/dataplane/dp_bpf.o: $(BPF_SKEL)
$(B)/obj/dataplane/%.o: CFLAGS += -I$(B)/bpf -Idataplane/bpf
