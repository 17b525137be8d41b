# dmmd and dmmctl. Included by the top-level Makefile (uses B, CC, CFLAGS,
# DP_SRC and the $(B)/obj/%.o rule; targets are expanded at include time,
# so only variables defined before the include may appear in them).
#   build/dmmd    daemon/*.c + dataplane/*.c + build/libdmm.a, -lmnl -lbpf
#                 -llmdb -lhiredis -lcrypto -lsodium -ljansson -lseccomp
#   build/dmmctl  ctl/*.c, -ljansson
# Until dataplane/*.c exists, dmmd is built with -DDMM_NO_DP (LM/HAA only).

DAEMON_SRC := $(sort $(wildcard daemon/*.c))
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(B)/obj/%.o)
DP_OBJ := $(DP_SRC:%.c=$(B)/obj/%.o)
CTL_SRC := $(sort $(wildcard ctl/*.c))
CTL_OBJ := $(CTL_SRC:%.c=$(B)/obj/%.o)

ifeq ($(DP_SRC),)
$(DAEMON_OBJ): CFLAGS += -DDMM_NO_DP
DMMD_LIBS := -llmdb -lhiredis -lcrypto -lsodium -ljansson -lseccomp
else
DMMD_LIBS := -lmnl -lbpf -llmdb -lhiredis -lcrypto -lsodium -ljansson -lseccomp
endif

$(B)/obj/daemon/%.o $(B)/obj/dataplane/%.o: CFLAGS += -Idataplane
$(B)/obj/daemon/%.o: $(wildcard daemon/*.h)

$(B)/dmmd: $(DAEMON_OBJ) $(DP_OBJ) $(B)/libdmm.a
	$(CC) $(CFLAGS) -o $@ $(DAEMON_OBJ) $(DP_OBJ) $(B)/libdmm.a $(DMMD_LIBS)

$(B)/dmmctl: $(CTL_OBJ)
	$(CC) $(CFLAGS) -o $@ $(CTL_OBJ) -ljansson

all: $(B)/dmmd $(B)/dmmctl
