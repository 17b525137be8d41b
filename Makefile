# dmm — Distributed Mobility Management. Outputs go under build/.
#   make          build the library, daemon, CLI and tools (-O2)
#   make check    install missing packages, build with ASan+UBSan, run every test
#   make fuzz     run each libFuzzer harness for FUZZ_SECONDS
#   make fuzz-campaign  every harness for FUZZ_RUNS executions, docs/FUZZING.md
#   make churn    a 10-minute churn under the ASan/LSan dmmd (CHURN_SECONDS)
#   make demo     the draft's story on a live testbed (see README)
#   make bench    location management side by side: dmmd LM, a no-op floor
#                 and redis-server (root; lab/bench-lm.sh, docs/BENCHMARKS.md)

CC ?= cc
B := build
# The one version of dmmd and dmmctl (dmmctl version, dmmd -V): the Debian
# changelog's, unless VERSION=... is given.
VERSION ?= $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
CFLAGS_BASE := -DDMM_VERSION='"$(VERSION)"' -std=gnu11 -g -Wall -Wextra -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wno-unused-parameter -Werror -D_GNU_SOURCE -Icore
OPT ?= -O2
CFLAGS ?= $(OPT)
SAN_FLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LIBS := -lcrypto -lsodium -ljansson
FUZZ_SECONDS ?= 60

CORE_SRC := $(sort $(wildcard core/*.c))
CORE_HDR := $(wildcard core/*.h)
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TESTLIB_SRC := $(sort $(wildcard tests/lib/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
DP_SRC := $(sort $(wildcard dataplane/*.c))

# ---- normal build ----
CORE_OBJ := $(CORE_SRC:%.c=$(B)/obj/%.o)
$(B)/obj/%.o: %.c $(CORE_HDR) $(wildcard dataplane/*.h daemon/*.h tests/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -c $< -o $@
$(B)/libdmm.a: $(CORE_OBJ)
	@mkdir -p $(B)
	ar rcs $@ $^

# ---- tools ----
$(B)/tools/mkpcap: tools/mkpcap.c tests/lib/samples.c tests/lib/samples.h $(B)/libdmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -Itests/lib tools/mkpcap.c tests/lib/samples.c -o $@ $(B)/libdmm.a $(LIBS)
# Regenerate the fuzz seed corpora and the sample capture.
corpus: $(B)/tools/mkpcap
	$(B)/tools/mkpcap -c tests/fuzz/corpus $(B)/tests/messages.pcap

EXTRA_ALL += $(B)/tools/mkpcap
-include daemon/build.mk tools/build.mk dataplane/build.mk
EXTRA_ALL += $(B)/dmmprobe $(B)/nfqdelay $(B)/dmmbench

all: $(B)/libdmm.a $(EXTRA_ALL)
.DEFAULT_GOAL := all

# ---- sanitizer build of the core and the unit tests ----
S := $(B)/san
SAN_CORE_OBJ := $(CORE_SRC:%.c=$(S)/obj/%.o)
SAN_TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(S)/obj/%.o)
$(S)/obj/%.o: %.c $(CORE_HDR) $(wildcard tests/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Itests/lib $(SAN_FLAGS) -c $< -o $@
$(S)/libdmm.a: $(SAN_CORE_OBJ) $(SAN_TESTLIB_OBJ)
	ar rcs $@ $^
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(S)/tests/%)
# The configuration parser (daemon/parse*.c), linked into the unit tests
# and fuzz_parse: it depends only on libdmm. Its objects have a directory of
# their own: the san-daemon sub-make builds $(S)/obj/daemon/ at the same time.
PARSE_SRC := $(sort $(wildcard daemon/parse*.c))
SAN_PARSE_OBJ := $(PARSE_SRC:%.c=$(S)/parse/%.o)
$(S)/parse/%.o: %.c $(CORE_HDR) $(wildcard daemon/parse*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) -c $< -o $@
$(S)/libparse.a: $(SAN_PARSE_OBJ)
	ar rcs $@ $^
# Some tests #include daemon/ctl sources (they have no library): rebuild
# every test when those change, it costs seconds.
TEST_EXTRA_DEPS := $(wildcard daemon/*.c daemon/*.h ctl/*.c dataplane/*.h tests/unit/*.h)
$(S)/tests/%: tests/unit/%.c $(S)/libparse.a $(S)/libdmm.a $(TEST_EXTRA_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Itests/lib $(SAN_FLAGS) $< -o $@ $(S)/libparse.a $(S)/libdmm.a \
		$(LIBS) -lcmocka

tests: $(TEST_BIN)

# ---- fuzzers (clang + libFuzzer) ----
F := $(B)/fuzz
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(F)/%)
# -fno-sanitize-recover=undefined: an undefined behaviour aborts the run
# after UBSan's message, a crash to libFuzzer (UBSan's default printed a
# "runtime error" and went on, exit 0: no harness counted one as a crash).
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -Icore -Itests/lib
$(F)/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(CORE_SRC) $(CORE_HDR) $(TESTLIB_SRC) $(TEST_EXTRA_DEPS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $(FUZZ_EXTRA) $< $(FUZZ_SRC_EXTRA) $(CORE_SRC) $(TESTLIB_SRC) -o $@ \
		$(LIBS) $(FUZZ_LIBS)
# fuzz_node: no comparison tracing (trace-cmp was a quarter of its time;
# its input bytes are step selectors, not values compared in the code).
# No coverage counters where every input does the same (tests/fuzz/node.ignore).
# UBSan's checks trap (-fsanitize-trap=undefined): an undefined behaviour
# stops the run as a crash (libFuzzer's "deadly signal", the stack names
# the line; rerun the reproducer on build/san for UBSan's message), where
# UBSan's default printed a "runtime error" and went on (exit 0, not a
# crash). Its handler calls were also two thirds of the coverage counters
# (19 452 -> 9 576), each a feature to collect after every input. No
# indirect-call tracing (libFuzzer reads it only with -use_value_profile=1,
# off by default); -O2 (later on the line than FUZZ_FLAGS' -O1): 1.12x.
$(F)/fuzz_node: FUZZ_EXTRA := -O2 -fno-sanitize-coverage=trace-cmp,indirect-calls \
	-fsanitize-coverage-ignorelist=tests/fuzz/node.ignore -fsanitize-trap=undefined
$(F)/fuzz_node: tests/fuzz/node.ignore
# fuzz_parse: the parser's files (daemon/parse*.c) compiled in, the keyword
# suggestion uninstrumented (tests/fuzz/parse.ignore).
$(F)/fuzz_parse: FUZZ_EXTRA := -fsanitize-coverage-ignorelist=tests/fuzz/parse.ignore
$(F)/fuzz_parse: FUZZ_SRC_EXTRA := $(PARSE_SRC)
$(F)/fuzz_parse: tests/fuzz/parse.ignore
# The data-plane harnesses compile a dataplane/*.c file in (see each).
$(F)/fuzz_access $(F)/fuzz_tun: FUZZ_EXTRA := -Idataplane
$(F)/fuzz_access $(F)/fuzz_tun: FUZZ_LIBS := -lmnl
$(F)/fuzz_access: dataplane/dp_access.c $(wildcard dataplane/*.h)
$(F)/fuzz_tun: dataplane/dp_tun.c dataplane/dp_utun.c $(wildcard dataplane/*.h)
fuzzers: $(FUZZ_BIN)
fuzz: deps fuzzers
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(F)
# Every harness for a fixed number of executions (FUZZ_RUNS, default 10M;
# fuzz_node FUZZ_NODE_RUNS), one at a time, niced; minimizes the corpora
# and writes docs/FUZZING.md (tests/fuzz/campaign.sh).
fuzz-campaign: deps fuzzers
	tests/fuzz/campaign.sh $(F)

# A long churn (MNs moving, leaving, returning) on the figure-1 lab under
# the ASan/LSan daemons: no leak, flat memory (tests/long/churn.sh; root).
CHURN_SECONDS ?= 600
churn: deps all san-daemon
	CHURN_SECONDS=$(CHURN_SECONDS) bash tests/long/churn.sh

deps:
	@scripts/deps.sh

# The draft's story on a live namespace testbed (root): see lab/demo.sh.
demo: deps
	$(MAKE) all
	lab/demo.sh

check: deps
	$(MAKE) all tests fuzzers
	tests/run.sh

clean:
	rm -rf $(B)

.PHONY: all tests fuzzers fuzz fuzz-campaign churn deps check clean demo corpus

# Location management, one run on one machine (root): lab/bench-lm.sh
# writes bench/lm/DATE/ (raw rows, table.md, throughput.png); it installs
# redis-server itself if missing. Route programming at scale (bench-routes,
# tools/build.mk) runs first.
bench: deps all bench-routes
	lab/bench-lm.sh
.PHONY: bench

# ---- sanitizer build of the daemon (the netns tests run it) ----
# build/san/dmmd, build/san/dmmctl and build/san/dptest come from the very
# rules that make build/dmmd (daemon/build.mk, dataplane/build.mk, the
# $(B)/dptest rule below), run by a sub-make with B=build/san and
# OPT=SAN_FLAGS: the core objects are those of the unit tests' libdmm.a
# (same flags), the daemon, data-plane and BPF objects go under build/san.
# One sub-make for the three, so that a parallel make never builds one
# object twice at once. `make tests`, hence `make check`, builds them.
san-daemon: $(S)/libdmm.a
	+$(MAKE) --no-print-directory B=$(S) OPT='$(SAN_FLAGS)' $(S)/dmmd $(S)/dmmctl $(S)/dptest
$(S)/dmmd $(S)/dmmctl $(S)/dptest: san-daemon ;
tests: san-daemon

# tools/dptest, the data plane driven from stdin (tests/sh/dp_*.sh): built
# like dmmd, from the same data-plane objects and libraries.
$(B)/dptest: tools/dptest.c $(DP_OBJ) $(B)/libdmm.a
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -Idataplane $< $(DP_OBJ) $(B)/libdmm.a $(DMMD_LIBS) -o $@

# git keeps no file modes: in a fresh clone examples/figure1/keys is 0644,
# which dmmd refuses (readable by others). `make` takes group and other
# access away, so that README's `build/dmmd -n -f examples/figure1/mr12.conf`
# works as shown (tests/sh/fresh_keys.sh).
examples-keys:
	@find examples/figure1/keys -perm /077 -exec chmod go-rwx {} +
all: examples-keys

.PHONY: san-daemon examples-keys
-include mk/install.mk
