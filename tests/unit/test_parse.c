/* dmmd configuration parser (daemon/parse*.c): every directive, every error
 * message with its line, key files, and the round trip of the normalized
 * output. The parser has no dependency on the rest of the daemon; it is
 * linked into this test (build/san/libparse.a). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/parse_int.h"

#define MAX_ERRS 64

struct errs {
	int n;
	char msg[MAX_ERRS][700];
};

static char tmpdir[64];
static char keypath[128];

#define KEY1 "0101010101010101010101010101010101010101010101010101010101010101"
#define KEY2 "abcdefABCDEF0123456789abcdef0123456789ABCDEFabcdef0123456789abcd"

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_parse.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(keypath, sizeof(keypath), "%s/keys", tmpdir);
	write_file(keypath, "# comment\n7 " KEY1 "\n\n  9 " KEY2 "   # trailing\n", 0600);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void collect(void *ctx, const char *msg)
{
	struct errs *e = ctx;

	if (e->n < MAX_ERRS)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	e->n++;
}

static int parse(const char *text, struct dmmd_conf *c, struct errs *e)
{
	memset(e, 0, sizeof(*e));
	return parse_conf_text("t.conf", text, tmpdir, c, collect, e);
}

/* 6 lines; a line appended to it is line 7. */
#define BASE "node t1\n" \
	"address 2001:db8:ff::11\n" \
	"roles mr\n" \
	"local-network ln1\n" \
	"keys \"keys\"\n" \
	"network ln1 { prefix 2001:db8:1::/48 lm 2001:db8:ff::1 haa 2001:db8:ff::1 }\n"

static void dump(const struct errs *e)
{
	for (int i = 0; i < e->n && i < MAX_ERRS; i++)
		print_message("  error: %s\n", e->msg[i]);
}

/* ---------------------------------------------------------------- valid input */

static void test_minimal(void **state)
{
	struct dmmd_conf c, d;
	struct errs e;
	struct in6_addr a;

	assert_int_equal(parse(BASE, &c, &e), 0);
	assert_string_equal(c.core.name, "t1");
	inet_pton(AF_INET6, "2001:db8:ff::11", &a);
	assert_memory_equal(&c.core.self, &a, sizeof(a));
	assert_int_equal(c.core.roles, DMM_ROLE_MR);
	assert_int_equal(c.core.local_net, 0);
	assert_int_equal(c.core.n_nets, 1);
	assert_int_equal(c.core.nets[0].n_prefixes, 1);
	assert_int_equal(c.core.nets[0].prefixes[0].len, 48);
	assert_string_equal(c.key_file, keypath);
	assert_int_equal(c.core.keys.n, 2);
	assert_int_equal(c.core.keys.keys[0].id, 7);
	assert_int_equal(c.core.keys.keys[1].id, 9);
	assert_int_equal(c.core.keys.keys[1].key[0], 0xab);
	assert_int_equal(c.core.keys.keys[1].key[31], 0xcd);
	assert_int_equal(c.core.keys.active, 7); /* the first key by default */
	/* everything else is the defaults */
	parse_conf_defaults(&d);
	assert_memory_equal(&c.core.timers, &d.core.timers, sizeof(d.core.timers));
	assert_memory_equal(&c.core.limits, &d.core.limits, sizeof(d.core.limits));
	assert_string_equal(c.control, DMMD_CONTROL_DEFAULT);
	assert_int_equal(c.signalling, DMMD_SIG_RAW);
	assert_int_equal(c.udp_port, 5436);
	assert_int_equal(c.dp_table, 4242);
	assert_string_equal(c.dp_tun, "dmm0");
	assert_int_equal(c.event_log[0], '\0');
	assert_int_equal(c.attach_on, DMMD_ATTACH_FIRST_FRAME);
	assert_false(c.core.lm_replicate);
	assert_int_equal(inet_pton(AF_INET6, "fe80::1", &a), 1);
	assert_memory_equal(&c.router_ll, &a, 16);
}

/* Every directive, in the forms the grammar allows (';' separators,
 * several per line, comments, quoted strings with escapes). */
static const char *full_text =
	"# every directive\n"
	"node \"full\"\n"
	"address 2001:db8:ff::1 ; roles lm haa mr\n"
	"local-network ln1\n"
	"keys \"keys\" active 9\n"
	"control \"/tmp/x \\\"q\\\".sock\"\n"
	"event-log /tmp/ev.json\n"
	"signalling both port 6000\n"
	"network ln1 {\n"
	"\tprefix 2001:db8:1::/48\n"
	"\tprefix 2001:db8:10::/48\n"
	"\tlm 2001:db8:ff::1; haa 2001:db8:ff::1\n"
	"}\n"
	"network ln2 { prefix 2001:db8:2::/48 lm 2001:db8:ff::2 haa 2001:db8:ff::2\n"
	"\tprefix-length 56 }\n"
	"mr {\n"
	"\tmode redirect\n"
	"\taccess \"mn*\"\n"
	"\taccess veth+\n"
	"\tlm-update-on-attach no\n"
	"\tnew-hoa-on-arrival yes\n"
	"\thold no\n"
	"\tattach-on rs\n"
	"\trouter-link-local fe80::dead:1\n"
	"\tfixed-prefix 2001:db8:100::/48\n"
	"}\n"
	"haa {\n"
	"\tpool 2001:db8:1:1100::/56 length 64 mr 2001:db8:ff::11\n"
	"\tpool 2001:db8:1:1200::/56 length 64 mr 2001:db8:ff::12 stateless\n"
	"\tpool 2001:db8:10::/52 length 64 mr 2001:db8:ff::13 stateful\n"
	"}\n"
	"lm { replicate yes }\n"
	"timers {\n"
	"\tretransmit 100ms max 3s count 7\n"
	"\ttimestamp-window 2s\n"
	"\tlease 2h\n"
	"\tbinding 20m\n"
	"\tcache 90s\n"
	"\thandover-context 1500ms\n"
	"\thold 1s\n"
	"\tdeprecated-keep 5m\n"
	"\tra-lifetime 600s\n"
	"}\n"
	"limits { mns 10; cache 20; handovers 30; pending 40; bindings 50\n"
	"\tsubscribers 60; leases 70; peers 80; reply-cache 90 }\n"
	"dataplane { table 100 rule-pref 2000 protocol 99 tun \"dmmx\" hold-limit 12 }\n";

static void test_every_directive(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	const struct dmm_config *k = &c.core;
	char p[DMM_PREFIX_STRLEN];

	if (parse(full_text, &c, &e) != 0)
		dump(&e);
	assert_int_equal(e.n, 0);
	assert_string_equal(k->name, "full");
	assert_int_equal(k->roles, DMM_ROLE_MR | DMM_ROLE_LM | DMM_ROLE_HAA);
	assert_int_equal(k->keys.active, 9);
	assert_string_equal(c.control, "/tmp/x \"q\".sock");
	assert_string_equal(c.event_log, "/tmp/ev.json");
	assert_int_equal(c.signalling, DMMD_SIG_BOTH);
	assert_int_equal(c.udp_port, 6000);
	assert_int_equal(k->n_nets, 2);
	assert_int_equal(k->nets[0].n_prefixes, 2);
	assert_string_equal(dmm_prefix_str(&k->nets[0].prefixes[1], p, sizeof(p)),
			    "2001:db8:10::/48");
	assert_string_equal(k->nets[1].name, "ln2");
	assert_int_equal(k->ro_mode, DMM_RO_REDIRECT);
	assert_int_equal(c.n_access, 2);
	assert_string_equal(c.access[0], "mn*");
	assert_string_equal(c.access[1], "veth+");
	assert_false(k->lm_update_on_attach);
	assert_true(k->new_hoa_on_arrival);
	assert_false(k->hold_packets);
	assert_true(k->lm_replicate);
	assert_int_equal(c.attach_on, DMMD_ATTACH_RS);
	assert_string_equal(inet_ntop(AF_INET6, &c.router_ll, p, sizeof(p)), "fe80::dead:1");
	assert_int_equal(k->n_fixed, 1);
	assert_int_equal(k->n_pools, 3);
	assert_int_equal(k->pools[0].plen, 64);
	assert_int_equal(k->pools[1].plen, 64);
	assert_int_equal(k->nets[0].mn_plen, 64); /* the default */
	assert_int_equal(k->nets[1].mn_plen, 56);
	assert_int_equal(k->pools[1].mode, DMM_POOL_STATELESS);
	assert_int_equal(k->pools[2].mode, DMM_POOL_STATEFUL);
	assert_int_equal(k->timers.retrans_initial_ms, 100);
	assert_int_equal(k->timers.retrans_max_ms, 3000);
	assert_int_equal(k->timers.retrans_count, 7);
	assert_int_equal(k->timers.ts_window_ms, 2000);
	assert_int_equal(k->timers.lease_lifetime_s, 7200);
	assert_int_equal(k->timers.binding_lifetime_s, 1200);
	assert_int_equal(k->timers.cache_lifetime_s, 90);
	assert_int_equal(k->timers.handover_ctx_ms, 1500);
	assert_int_equal(k->timers.hold_ms, 1000);
	assert_int_equal(k->timers.deprecated_keep_s, 300);
	assert_int_equal(k->timers.ra_lifetime_s, 600);
	assert_int_equal(k->limits.max_mns, 10);
	assert_int_equal(k->limits.max_cache, 20);
	assert_int_equal(k->limits.max_handovers, 30);
	assert_int_equal(k->limits.max_pending, 40);
	assert_int_equal(k->limits.max_bindings, 50);
	assert_int_equal(k->limits.max_subscribers, 60);
	assert_int_equal(k->limits.max_leases, 70);
	assert_int_equal(k->limits.max_peers, 80);
	assert_int_equal(k->limits.reply_cache, 90);
	assert_int_equal(c.dp_table, 100);
	assert_int_equal(c.dp_rule_pref, 2000);
	assert_int_equal(c.dp_protocol, 99);
	assert_string_equal(c.dp_tun, "dmmx");
	assert_int_equal(c.dp_hold_limit, 12);
}

static char *print_to_string(const struct dmmd_conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	parse_conf_print(f, c);
	fclose(f);
	return text;
}

/* -nv output parses back to the same bytes of struct, and prints the same. */
static void round_trip(const char *text)
{
	struct dmmd_conf *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct errs e;
	char *t1, *t2;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(parse(text, a, &e), 0);
	t1 = print_to_string(a);
	if (parse(t1, b, &e) != 0) {
		dump(&e);
		print_message("%s", t1);
	}
	assert_int_equal(e.n, 0);
	assert_memory_equal(a, b, sizeof(*a));
	t2 = print_to_string(b);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	free(a);
	free(b);
}

static void test_round_trip(void **state)
{
	round_trip(BASE);
	round_trip(full_text);
	{
		struct dmmd_conf c;
		struct errs e;
		char *t;
		assert_int_equal(parse(full_text, &c, &e), 0);
		t = print_to_string(&c);
		assert_non_null(strstr(t, "\nlm {\n\treplicate yes\n\tstore embedded\n}\n\nhaa {\n"));
		free(t);
	}
	round_trip(BASE "signalling udp\nmr { mode none }\ntimers { retransmit 1s max 1s "
		   "count 0 hold 0s }\n");
}

/* mr { attach-on }: both values, -nv prints it; given twice is an error. */
static void test_attach_on(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	char *t;

	assert_int_equal(parse(BASE "mr { attach-on rs }\n", &c, &e), 0);
	assert_int_equal(c.attach_on, DMMD_ATTACH_RS);
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\thold yes\n\tattach-on rs\n\trouter-link-local fe80::1\n}\n"));
	free(t);
	assert_int_equal(parse(BASE "mr { attach-on first-frame }\n", &c, &e), 0);
	assert_int_equal(c.attach_on, DMMD_ATTACH_FIRST_FRAME);
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\tattach-on first-frame\n"));
	free(t);
	assert_int_equal(parse(BASE "mr { attach-on rs; attach-on first-frame }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: mr: attach-on given twice (first on line 7)");
	round_trip(BASE "mr { attach-on rs }\n");
}

/* mr { router-link-local }: default fe80::1, printed by -nv right after
 * attach-on, round trip; anything but a unicast fe80::/64 address refused. */
static void test_router_link_local(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	char *t;
	char buf[INET6_ADDRSTRLEN];

	assert_int_equal(parse(BASE "mr { }\n", &c, &e), 0);
	assert_string_equal(inet_ntop(AF_INET6, &c.router_ll, buf, sizeof(buf)), "fe80::1");
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\tattach-on first-frame\n\trouter-link-local fe80::1\n"));
	free(t);
	assert_int_equal(parse(BASE "mr { router-link-local fe80::a:b:c:d }\n", &c, &e), 0);
	assert_string_equal(inet_ntop(AF_INET6, &c.router_ll, buf, sizeof(buf)),
			    "fe80::a:b:c:d");
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\trouter-link-local fe80::a:b:c:d\n"));
	free(t);
	round_trip(BASE "mr { router-link-local fe80::2 }\n");
}

/* Vertical tab and form feed are blanks like space and tab (they once made
 * the lexer return an empty word forever: a hang at start or on SIGHUP). */
static void test_odd_blanks(void **state)
{
	struct dmmd_conf c;
	struct errs e;

	assert_int_equal(parse(BASE "\v\fmr {\v access \f\"mn*\" }\n", &c, &e), 0);
	assert_int_equal(parse(BASE "\vbogus\f\n", &c, &e), 1); /* one error, no hang */
	assert_int_equal(e.n, 1);
}

static void test_durations(void **state)
{
	static const struct { const char *in; uint64_t ms; const char *out; } ok[] = {
		{ "250ms", 250, "250ms" }, { "2s", 2000, "2s" }, { "10m", 600000, "10m" },
		{ "1h", 3600000, "1h" }, { "0s", 0, "0s" }, { "1500ms", 1500, "1500ms" },
		{ "120s", 120000, "2m" }, { "90m", 5400000, "90m" }, { "60m", 3600000, "1h" },
	};
	static const char *bad[] = { "", "5", "ms", "1x", "-1s", "1.5s", "1 s", "s1",
				     "99999999999h" };
	char buf[32];
	uint64_t ms;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_duration(ok[i].in, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
		assert_string_equal(parse_duration_str(ms, buf, sizeof(buf)), ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_duration(bad[i], &ms), -1);
}

/* ---------------------------------------------------------------- errors */

/* BASE plus one line (line 7), which must give exactly these errors. */
struct err_case {
	const char *line;
	const char *errors[3];
};

static const struct err_case err_cases[] = {
	{ "address ::1", { "t.conf:7: address given twice (first on line 2)" } },
	{ "frob 1", { "t.conf:7: unknown keyword 'frob'" } },
	{ "}", { "t.conf:7: unknown keyword '}'" } },
	{ "address", { "t.conf:7: address given twice (first on line 2)",
		       "t.conf:7: address: expected an IPv6 address, got end of line" } },
	{ "node \"abc", { "t.conf:7: node given twice (first on line 1)",
			  "t.conf:7: unterminated quoted string" } },
	{ "control \"\"", { "t.conf:7: control: empty string" } },
	{ "state st synk",
	  { "t.conf:7: state: unexpected 'synk' (expected sync); did you mean 'sync'?" } },
	{ "event-log { }", { "t.conf:7: event-log: expected a file path, got {" } },
	{ "signalling pigeon", { "t.conf:7: signalling: 'pigeon' is not raw, udp or both" } },
	{ "signalling udp port 70000",
	  { "t.conf:7: signalling port: 70000 out of range 1..65535" } },
	{ "signalling udp port x1", { "t.conf:7: signalling port: 'x1' is not a number" } },
	{ "mr { mode x }", { "t.conf:7: mode: 'x' is not query, redirect or none" } },
	{ "mr { hold maybe }", { "t.conf:7: hold: expected yes or no, got 'maybe'" } },
	{ "mr { lm-update-on-attach }",
	  { "t.conf:7: lm-update-on-attach: expected yes or no, got }" } },
	{ "mr { fixed-prefix 2001:db8::1/32 }",
	  { "t.conf:7: fixed-prefix: prefix '2001:db8::1/32' has host bits set" } },
	{ "mr { fixed-prefix 2001:db8::/129 }",
	  { "t.conf:7: fixed-prefix: '2001:db8::/129' is not an IPv6 prefix "
	    "(address/length)" } },
	{ "mr { fixed-prefix 2001:db8:: }",
	  { "t.conf:7: fixed-prefix: '2001:db8::' is not an IPv6 prefix (address/length)" } },
	{ "mr { access \"\" }", { "t.conf:7: access: empty string" } },
	{ "mr { access averyveryverylongname }",
	  { "t.conf:7: access: 'averyveryverylongname' longer than 15 characters" } },
	{ "mr { attach-on carrier }",
	  { "t.conf:7: attach-on: 'carrier' is not first-frame or rs" } },
	{ "mr { attach-on }", { "t.conf:7: attach-on: expected first-frame or rs, got }" } },
	{ "mr { bogus 1 }", { "t.conf:7: mr: unknown keyword 'bogus'" } },
	{ "mr mode query", { "t.conf:7: mr: expected {, got mode" } },
	{ "timers { retransmit 250 }", { "t.conf:7: retransmit: '250' is not a duration "
					 "(number with ms, s, m or h)" } },
	{ "timers { retransmit 1s max x }", { "t.conf:7: retransmit max: 'x' is not a "
					      "duration (number with ms, s, m or h)" } },
	{ "timers { retransmit 1s count 101 }",
	  { "t.conf:7: retransmit count: 101 out of range 0..100" } },
	{ "timers { lease 1500ms }",
	  { "t.conf:7: lease: 1500ms is not a whole number of seconds" } },
	{ "timers { hold 5000000h }", { "t.conf:7: hold: 5000000h is too long" } },
	{ "timers { nap 1s }", { "t.conf:7: timers: unknown keyword 'nap'" } },
	{ "limits { mns 0 }", { "t.conf:7: mns: 0 out of range 1..16777216" } },
	{ "limits { cache lots }", { "t.conf:7: cache: 'lots' is not a number" } },
	{ "limits { peers 99999999999999999999 }",
	  { "t.conf:7: peers: '99999999999999999999' is not a number" } },
	{ "mr { router-link-local 2001:db8::1 }",
	  { "t.conf:7: router-link-local: '2001:db8::1' is not a link-local address "
	    "(fe80::/64, not fe80::)" } },
	{ "mr { router-link-local fe80:0:0:1::1 }",
	  { "t.conf:7: router-link-local: 'fe80:0:0:1::1' is not a link-local address "
	    "(fe80::/64, not fe80::)" } },
	{ "mr { router-link-local fe80:: }",
	  { "t.conf:7: router-link-local: 'fe80::' is not a link-local address "
	    "(fe80::/64, not fe80::)" } },
	{ "mr { router-link-local ff02::1 }",
	  { "t.conf:7: router-link-local: 'ff02::1' is not a link-local address "
	    "(fe80::/64, not fe80::)" } },
	{ "mr { router-link-local }",
	  { "t.conf:7: router-link-local: expected an IPv6 address, got }" } },
	{ "dataplane { table 254 }",
	  { "t.conf:7: table: 254 is a kernel table (default, main, local)" } },
	{ "dataplane { protocol 2 }", { "t.conf:7: protocol: 2 out of range 5..255" } },
	{ "dataplane { rule-pref 0 }", { "t.conf:7: rule-pref: 0 out of range 1..32000" } },
	{ "dataplane { hold-limit 0 }",
	  { "t.conf:7: hold-limit: 0 out of range 1..1048576" } },
	{ "dataplane { tun averyveryverylongname }",
	  { "t.conf:7: tun: 'averyveryverylongname' longer than 15 characters" } },
	{ "network ln1 { prefix 2001:db8:9::/48 lm ::1 haa ::1 }",
	  { "t.conf:7: network ln1 defined twice (line 6)" } },
	{ "network ln2 { lm zz }", { "t.conf:7: lm: 'zz' is not an IPv6 address",
				     "t.conf:7: network ln2 has no prefix",
				     "t.conf:7: network ln2 has no HAA address" } },
	{ "network ln2 { prefix 2001:db8:2::/48 lm ::2 haa 2001:db8::2 colour blue }",
	  { "t.conf:7: network: unknown keyword 'colour'" } },
	{ "network ln2 { prefix 2001:db8:2::/48 lm ::2 haa ::2",
	  { "t.conf:7: network: missing } for the { on this line" } },
	{ "network { }", { "t.conf:7: network: expected a network name, got {" } },
	{ "haa { pool 2001:db8:1:100::/56 length 64 mr 2001:db8:ff::11 }",
	  { "t.conf:7: haa block, but role haa is not enabled" } },
	{ "haa { pool 2001:db8:1:100::/56 }",
	  { "t.conf:7: pool: expected 'length N' after the range",
	    "t.conf:7: haa block, but role haa is not enabled" } },
	{ "haa { pool 2001:db8:1:100::/56 length 64 }",
	  { "t.conf:7: pool: expected 'mr ADDRESS' after the length",
	    "t.conf:7: haa block, but role haa is not enabled" } },
	{ "lm { replicate yes }", { "t.conf:7: lm block, but role lm is not enabled" } },
	{ "lm { replicate maybe }",
	  { "t.conf:7: replicate: expected yes or no, got 'maybe'",
	    "t.conf:7: lm block, but role lm is not enabled" } },
	{ "lm { replicate no colour blue }", { "t.conf:7: lm: unknown keyword 'colour'",
					     "t.conf:7: lm block, but role lm is not enabled" } },
	{ "haa { pool 2001:db8:1:100::/56 length 129 mr ::1 }",
	  { "t.conf:7: pool length: 129 out of range 1..128",
	    "t.conf:7: haa block, but role haa is not enabled" } },
};

static void expect(const char *text, const char *const *want, int nwant)
{
	struct dmmd_conf c;
	struct errs e;
	int n = parse(text, &c, &e);

	if (n != nwant) {
		print_message("for:\n%s\n", text);
		dump(&e);
	}
	assert_int_equal(n, nwant);
	assert_int_equal(e.n, nwant);
	for (int i = 0; i < nwant; i++)
		assert_string_equal(e.msg[i], want[i]);
}

/* Several LMs and HAAs per network (draft §3.2): each `lm` / `haa` line
 * adds one, in order; at most DMM_MAX_NET_LMS. */
static void test_several_lms(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	struct in6_addr a;
	static const char *const five[] = { "t.conf:7: lm: more than 4 in network ln2" };

	(void)state;
	assert_int_equal(parse(BASE "network ln2 { prefix 2001:db8:2::/48 lm 2001:db8:ff::2 "
			       "lm 2001:db8:ff::3 haa 2001:db8:ff::4 haa 2001:db8:ff::5 "
			       "haa 2001:db8:ff::6 }\n", &c, &e), 0);
	assert_int_equal(dmm_net_n_lms(&c.core.nets[1]), 2);
	assert_int_equal(dmm_net_n_haas(&c.core.nets[1]), 3);
	inet_pton(AF_INET6, "2001:db8:ff::3", &a);
	assert_memory_equal(dmm_net_lm(&c.core.nets[1], 1), &a, 16);
	inet_pton(AF_INET6, "2001:db8:ff::6", &a);
	assert_memory_equal(dmm_net_haa(&c.core.nets[1], 2), &a, 16);
	assert_int_equal(dmm_net_n_lms(&c.core.nets[0]), 1);
	expect(BASE "network ln2 { prefix 2001:db8:2::/48 lm 2001:db8:ff::2 lm 2001:db8:ff::3 "
	       "lm 2001:db8:ff::4 lm 2001:db8:ff::5 lm 2001:db8:ff::6 haa 2001:db8:ff::2 }\n",
	       five, 1);
}

/* dataplane DRIVER [{ }] and network { mr }: parsed, printed by -nv,
 * round trip; an unknown driver and a twice-listed MR are refused. */
static void test_dataplane_driver(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	char *t;

	assert_int_equal(parse(BASE, &c, &e), 0);
	assert_int_equal(c.dataplane, DMMD_DP_AUTO);
	assert_int_equal(c.core.nets[0].n_mrs, 0);
	assert_int_equal(parse(BASE "dataplane bpf\n", &c, &e), 0);
	assert_int_equal(c.dataplane, DMMD_DP_BPF);
	assert_int_equal(c.dp_table, 4242);
	assert_int_equal(parse(BASE "dataplane tun { table 77 }\n", &c, &e), 0);
	assert_int_equal(c.dataplane, DMMD_DP_TUN);
	assert_int_equal(c.dp_table, 77);
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\ndataplane tun {\n\ttable 77\n"));
	free(t);
	assert_int_equal(parse(BASE "dataplane seg6\ndataplane { hold-limit 9 }\n", &c, &e), 0);
	assert_int_equal(c.dataplane, DMMD_DP_SEG6);
	assert_int_equal(c.dp_hold_limit, 9);
	round_trip(BASE "dataplane bpf\n");
	round_trip(BASE "dataplane auto { tun dmmx }\n");

	const char *nets = "network ln2 { prefix 2001:db8:2::/48 lm 2001:db8:ff::2 "
			   "haa 2001:db8:ff::2 mr 2001:db8:ff::20 mr 2001:db8:ff::29 }\n";
	char text[1024];
	snprintf(text, sizeof(text), "%s%s", BASE, nets);
	assert_int_equal(parse(text, &c, &e), 0);
	assert_int_equal(c.core.nets[1].n_mrs, 2);
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\thaa 2001:db8:ff::2\n\tmr 2001:db8:ff::20\n"
				  "\tmr 2001:db8:ff::29\n}\n"));
	free(t);
	round_trip(text);

	const char *const bad_drv[] = {
		"t.conf:7: dataplane: unknown driver 'ebpf' (auto, seg6, bpf or tun); did you mean "
		"'bpf'?" };
	expect(BASE "dataplane ebpf\n", bad_drv, 1);
	const char *const twice[] = {
		"t.conf:7: mr: 2001:db8:ff::5 listed twice in network ln9" };
	expect(BASE "network ln9 { prefix 2001:db8:9::/48 lm ::1 haa ::1 mr 2001:db8:ff::5 "
		    "mr 2001:db8:ff::5 }\n", twice, 1);
}

/* limits { attach-burst attach-interval }: parsed, printed, round trip. */
static void test_attach_limits(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	char *t;

	assert_int_equal(parse(BASE, &c, &e), 0);
	assert_int_equal(c.core.limits.attach_burst, 8);
	assert_int_equal(c.core.limits.attach_interval_ms, 1000);
	assert_int_equal(parse(BASE "limits { attach-burst 3 attach-interval 250ms }\n", &c, &e), 0);
	assert_int_equal(c.core.limits.attach_burst, 3);
	assert_int_equal(c.core.limits.attach_interval_ms, 250);
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\tattach-burst 3\n\tattach-interval 250ms\n}\n"));
	free(t);
	round_trip(BASE "limits { attach-burst 3 attach-interval 0s }\n");
	const char *const zero[] = { "t.conf:7: attach-burst: 0 out of range 1..65535" };
	expect(BASE "limits { attach-burst 0 }\n", zero, 1);
}

static void test_error_messages(void **state)
{
	char text[1024];

	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *ec = &err_cases[i];
		int n = 0;
		while (n < 3 && ec->errors[n])
			n++;
		snprintf(text, sizeof(text), "%s%s\n", BASE, ec->line);
		expect(text, ec->errors, n);
	}
}

static void test_missing_directives(void **state)
{
	static const char *want[] = {
		"t.conf: missing 'node' directive",
		"t.conf: missing 'address' directive",
		"t.conf: missing 'roles' directive",
		"t.conf: missing 'local-network' directive",
		"t.conf: missing 'keys' directive",
	};

	expect("# nothing\n\n", want, 5);
}

static void test_meaning_errors(void **state)
{
	static const char *roles[] = {
		"t.conf:3: roles: unknown role 'router' (mr, lm, haa)",
	};
	static const char *lm_addr[] = {
		"t.conf:6: role lm, but network ln1 has its LM at 2001:db8:ff::1, not at this "
		"node's address (line 2)",
	};
	static const char *no_net[] = {
		"t.conf:4: local-network: no network named 'ln9'; did you mean 'ln1'?" };
	static const char *active[] = { "t.conf:5: keys: active key 8 is not in " };
	static const char *overlap[] = {
		"t.conf:8: pool 2001:db8:1::/60 overlaps pool 2001:db8:1::/56 (line 7)" };
	static const char *no_roles[] = {
		"t.conf:3: roles: expected at least one of mr, lm, haa",
	};
	char text[1024];

	expect("node t1\naddress 2001:db8:ff::11\nroles mr router\nlocal-network ln1\n"
	       "keys keys\nnetwork ln1 { prefix 2001:db8:1::/48 lm ::1 haa ::1 }\n", roles, 1);
	expect("node t1\naddress 2001:db8:ff::11\nroles\nlocal-network ln1\n"
	       "keys keys\nnetwork ln1 { prefix 2001:db8:1::/48 lm ::1 haa ::1 }\n",
	       no_roles, 1);
	expect("node t1\naddress 2001:db8:ff::11\nroles mr lm\nlocal-network ln1\n"
	       "keys keys\nnetwork ln1 { prefix 2001:db8:1::/48 lm 2001:db8:ff::1 "
	       "haa 2001:db8:ff::11 }\n", lm_addr, 1);
	expect("node t1\naddress 2001:db8:ff::11\nroles mr\nlocal-network ln9\n"
	       "keys keys\nnetwork ln1 { prefix 2001:db8:1::/48 lm ::1 haa ::1 }\n", no_net, 1);
	/* dmm_config_check_at() runs last; its errors have the line of the object */
	expect("node t1\naddress ::1\nroles haa\nlocal-network ln1\nkeys keys\n"
	       "network ln1 { prefix 2001:db8:1::/48 lm ::1 haa ::1 }\n"
	       "haa { pool 2001:db8:1::/56 length 64 mr ::2\n"
	       "pool 2001:db8:1::/60 length 64 mr ::3 }\n", overlap, 1);
	/* the active key must be in the file (message ends with its path) */
	struct dmmd_conf c;
	struct errs e;
	snprintf(text, sizeof(text), "node t1\naddress 2001:db8:ff::11\nroles mr\n"
		 "local-network ln1\nkeys keys active 8\n"
		 "network ln1 { prefix 2001:db8:1::/48 lm ::1 haa ::1 }\n");
	assert_int_equal(parse(text, &c, &e), 1);
	assert_true(strncmp(e.msg[0], active[0], strlen(active[0])) == 0);
	assert_string_equal(e.msg[0] + strlen(active[0]), keypath);
}

/* Node keys in a configuration's key file: the active key defaults to the
 * first domain key and may not be a node key; a pool must have its
 * network's prefix-length. */
static void test_node_key_conf(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	char path[160];
	static const char *plen[] = {
		"t.conf:7: pool 2001:db8:1::/56: length 60, but network ln1 has prefix-length 64 "
		"(line 6)" };

	snprintf(path, sizeof(path), "%s/nodekeys", tmpdir);
	write_file(path, "11 " KEY2 " node 2001:db8:ff::11\n5 " KEY1 "\n", 0600);
	assert_int_equal(parse("node t1\naddress 2001:db8:ff::11\nroles mr\nlocal-network ln1\n"
			       "keys nodekeys\nnetwork ln1 { prefix 2001:db8:1::/48 "
			       "lm 2001:db8:ff::1 haa 2001:db8:ff::1 }\n", &c, &e), 0);
	assert_int_equal(c.core.keys.n, 2);
	assert_int_equal(c.core.keys.active, 5);
	assert_true(c.core.keys.keys[0].bound);
	assert_int_equal(parse("node t1\naddress 2001:db8:ff::11\nroles mr\nlocal-network ln1\n"
			       "keys nodekeys active 11\nnetwork ln1 { prefix 2001:db8:1::/48 "
			       "lm 2001:db8:ff::1 haa 2001:db8:ff::1 }\n", &c, &e), 1);
	assert_true(strstr(e.msg[0], "t.conf:5: keys: active key 11 is a node key in ") ==
		    e.msg[0]);
	expect("node t1\naddress 2001:db8:ff::1\nroles haa\nlocal-network ln1\nkeys keys\n"
	       "network ln1 { prefix 2001:db8:1::/48 lm ::1 haa 2001:db8:ff::1 }\n"
	       "haa { pool 2001:db8:1::/56 length 60 mr 2001:db8:ff::2 }\n", plen, 1);
	assert_int_equal(parse("node t1\naddress 2001:db8:ff::1\nroles haa\nlocal-network ln1\n"
			       "keys keys\nnetwork ln1 { prefix 2001:db8:1::/48 lm ::1 "
			       "haa 2001:db8:ff::1 prefix-length 60 }\n"
			       "haa { pool 2001:db8:1::/56 length 60 mr 2001:db8:ff::2 }\n", &c, &e), 0);
	assert_int_equal(c.core.nets[0].mn_plen, 60);
}

/* Recovery: errors on many lines, each reported once, in order. */
static void test_keeps_going(void **state)
{
	static const char *want[] = {
		"t.conf:7: mode: 'a' is not query, redirect or none",
		"t.conf:8: hold: expected yes or no, got 'b'",
		"t.conf:10: timers: unknown keyword 'c'",
		"t.conf:12: unknown keyword 'd'",
		"t.conf:15: limits: unknown keyword 'e'",
	};

	expect(BASE "mr { mode a\n hold b\n}\ntimers { c 1s\n}\nd { x y\n}\n"
	       "limits {\ne\n}\n", want, 5);
}

/* Issue 12: misspelt keywords get the closest valid one; a keyword of
 * another block says where it belongs; repeated directives and blocks are
 * errors naming the first; whole-file errors come with the line of their
 * object even when the file also has syntax errors, and an object whose
 * statement was wrong is not reported twice. */
static void test_first_hour(void **state)
{
	static const char *const typos[] = {
		"t.conf:7: unknown keyword 'adress'; did you mean 'address'?",
		"t.conf:8: mr: unknown keyword 'hlod'; did you mean 'hold'?",
		"t.conf:8: mode: 'redirct' is not query, redirect or none; did you mean "
		"'redirect'?",
		"t.conf:9: timers: unknown keyword 'pool'; valid only in haa {}",
		"t.conf:10: unknown keyword 'hold'; valid only in mr {} or timers {}",
		"t.conf:11: limits: unknown keyword 'keys'; valid only at the top level",
		"t.conf:12: signalling: 'bothh' is not raw, udp or both; did you mean 'both'?",
		"t.conf:13: unknown keyword 'zzzzzz'",
	};
	expect(BASE "adress ::1\nmr { hlod yes; mode redirct }\ntimers { pool x }\n"
	       "hold 1s\nlimits { keys 1 }\nsignalling bothh\nzzzzzz\n", typos, 8);

	static const char *const twice[] = {
		"t.conf:7: roles given twice (first on line 3)",
		"t.conf:7: roles: mr given twice",
		"t.conf:8: lm: ::2 listed twice in network ln2",
		"t.conf:10: mr {} block given twice (first on line 9)",
		"t.conf:12: dataplane: driver given twice (first on line 11)",
		"t.conf:13: retransmit: unexpected 'mx' (expected max or count); did you mean "
		"'max'?",
	};
	expect(BASE "roles mr mr\n"
	       "network ln2 { prefix 2001:db8:2::/48 lm ::2 lm ::2 haa ::2 }\n"
	       "mr { mode query }\nmr { hold yes }\ndataplane bpf\ndataplane tun\n"
	       "timers { retransmit 1s mx 2s }\n", twice, 6);
	/* dataplane DRIVER then dataplane { }: one of each is fine */
	expect(BASE "dataplane bpf\ndataplane { table 9 }\n", NULL, 0);

	/* a syntax error does not hide the whole-file errors; lm fe80::1 and
	 * the overlap are reported at their lines; ln3's bad LM is reported
	 * once (not again as missing) */
	static const char *const both[] = {
		"t.conf:7: unknown keyword 'frob'",
		"t.conf:10: lm: 'x' is not an IPv6 address",
		"t.conf:8: network ln2: LM address fe80::1 is link-local; use a global or "
		"unique-local address",
		"t.conf:9: network ln2: prefix 2001:db8:1:2::/64 overlaps prefix 2001:db8:1::/48 "
		"of network ln1 (line 6)",
	};
	expect(BASE "frob\nnetwork ln2 { lm fe80::1\nprefix 2001:db8:1:2::/64 haa ::2 }\n"
	       "network ln3 { lm x haa ::3 prefix 2001:db8:3::/48 }\n", both, 4);
}

/* More than PARSE_MAX_ERRORS errors: that many, then a notice, and the
 * count returned is the cap. */
static void test_error_cap(void **state)
{
	char text[4096] = BASE;
	struct dmmd_conf c;
	struct errs e;
	int n;

	for (int i = 0; i < 70; i++)
		strcat(text, "bad x\n");
	memset(&e, 0, sizeof(e));
	n = parse_conf_text("t.conf", text, tmpdir, &c, collect, &e);
	assert_int_equal(n, PARSE_MAX_ERRORS);
	assert_int_equal(e.n, PARSE_MAX_ERRORS + 1);
	assert_string_equal(e.msg[0], "t.conf:7: unknown keyword 'bad'");
	assert_string_equal(e.msg[PARSE_MAX_ERRORS - 1], "t.conf:56: unknown keyword 'bad'");
	assert_string_equal(e.msg[PARSE_MAX_ERRORS], "t.conf: too many errors; stopped after 50");
}

/* pidfile PATH: relative to the file's directory, printed, round trip. */
static void test_pidfile(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	char want[256];
	char *t;

	assert_int_equal(parse(BASE, &c, &e), 0);
	assert_string_equal(c.pidfile, "");
	assert_int_equal(parse(BASE "pidfile \"run/d.pid\"\n", &c, &e), 0);
	snprintf(want, sizeof(want), "%s/run/d.pid", tmpdir);
	assert_string_equal(c.pidfile, want);
	assert_int_equal(parse(BASE "pidfile /run/dmmd/x.pid\n", &c, &e), 0);
	assert_string_equal(c.pidfile, "/run/dmmd/x.pid");
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\npidfile \"/run/dmmd/x.pid\"\n"));
	free(t);
	round_trip(BASE "pidfile /run/dmmd/x.pid\n");
	static const char *const empty[] = { "t.conf:7: pidfile: empty string" };
	expect(BASE "pidfile \"\"\n", empty, 1);
}

/* ---------------------------------------------------------------- key files */

static int keys(const char *text, mode_t mode, struct errs *e, struct dmm_keyring *kr)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/k", tmpdir);
	write_file(path, text, mode);
	memset(e, 0, sizeof(*e));
	memset(kr, 0, sizeof(*kr));
	return parse_keys_file(path, kr, collect, e);
}

static void expect_key_error(const char *text, mode_t mode, const char *suffix)
{
	struct dmm_keyring kr;
	struct errs e;
	char want[256];

	assert_int_equal(keys(text, mode, &e, &kr), 1);
	snprintf(want, sizeof(want), "%s/k%s", tmpdir, suffix);
	assert_string_equal(e.msg[0], want);
}

static void test_key_files(void **state)
{
	struct dmm_keyring kr;
	struct errs e;
	char path[160], want[256];

	assert_int_equal(keys("1 " KEY1 "\n2 " KEY2 "\n", 0600, &e, &kr), 0);
	assert_int_equal(kr.n, 2);
	assert_int_equal(keys("1 " KEY1 "\n", 0400, &e, &kr), 0);
	expect_key_error("1 " KEY1 "\n", 0640,
			 ": key file is accessible by group or others; chmod 600 it");
	expect_key_error("1 " KEY1 "\n", 0604,
			 ": key file is accessible by group or others; chmod 600 it");
	expect_key_error("# only a comment\n", 0600, ": no key in the key file");
	expect_key_error("\n1 0123\n", 0600,
			 ":2: key must be exactly 64 hex digits (32 bytes)");
	expect_key_error("x " KEY1 "\n", 0600,
			 ":1: expected 'ID HEX' (a key id, then 64 hex digits)");
	expect_key_error("1 " KEY1 "\n1 " KEY2 "\n", 0600, ":2: key id given twice");
	expect_key_error("1 g" KEY1 "\n", 0600,
			 ":1: key must be exactly 64 hex digits (32 bytes)");
	expect_key_error("1 0g01010101010101010101010101010101010101010101010101010101010101\n", 0600,
			 ":1: key has a character that is not a hex digit");
	expect_key_error("1 " KEY1 " extra\n", 0600, ":1: extra text after the key");
	{
		char many[65 * 80] = "", line[80];
		for (int i = 1; i <= 65; i++) {
			snprintf(line, sizeof(line), "%d %s\n", i, KEY1);
			strcat(many, line);
		}
		expect_key_error(many, 0600, ":65: too many keys (at most 64)");
	}
	/* node keys (docs/SECURITY.md): ID HEX node ADDRESS */
	assert_int_equal(keys("1 " KEY1 "\n2 " KEY2 " node 2001:db8:ff::11\n"
			      "3 " KEY1 "  node  2001:db8:ff::12  # MR12\n", 0600, &e, &kr), 0);
	assert_int_equal(kr.n, 3);
	assert_false(kr.keys[0].bound);
	assert_true(kr.keys[1].bound);
	assert_true(kr.keys[2].bound);
	{
		struct in6_addr a;
		inet_pton(AF_INET6, "2001:db8:ff::12", &a);
		assert_memory_equal(&kr.keys[2].node, &a, sizeof(a));
		assert_ptr_equal(dmm_keyring_node_key(&kr, &a), &kr.keys[2]);
	}
	expect_key_error("1 " KEY1 " node 2001:db8::zz\n", 0600,
			 ":1: expected an IPv6 address after 'node'");
	expect_key_error("1 " KEY1 " node 2001:db8::1 more\n", 0600,
			 ":1: extra text after the key");
	expect_key_error("1 " KEY1 " node 2001:db8::1\n", 0600,
			 ": no domain key (a key without 'node'): MRs seal what they send "
			 "each other with it");
	snprintf(path, sizeof(path), "%s/none", tmpdir);
	memset(&e, 0, sizeof(e));
	assert_int_equal(parse_keys_file(path, &kr, collect, &e), 1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(e.msg[0], want);
	/* a config naming an unreadable key file reports it once */
	struct dmmd_conf c;
	chmod(keypath, 0644);
	assert_int_equal(parse(BASE, &c, &e), 1);
	snprintf(want, sizeof(want), "%s: key file is accessible by group or others; "
		 "chmod 600 it", keypath);
	assert_string_equal(e.msg[0], want);
	chmod(keypath, 0600);
}

/* The key file: a symbolic link to it is refused (O_NOFOLLOW), and so is
 * one owned by a user other than root, the parser's and the daemon's. */
static void test_key_owner_and_link(void **state)
{
	char link[160], text[512], want[400];
	struct dmmd_conf c;
	struct errs e;

	snprintf(link, sizeof(link), "%s/keylink", tmpdir);
	assert_int_equal(symlink(keypath, link), 0);
	snprintf(text, sizeof(text), "%s", BASE);
	*strstr(text, "keys \"keys\"") = '\0';
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
		 "keys \"keylink\"\n%s", strstr(BASE, "\nnetwork ") + 1);
	if (parse(text, &c, &e) != 1)
		dump(&e);
	assert_int_equal(e.n, 1);
	snprintf(want, sizeof(want), "%s: key file is a symbolic link; name the file itself",
		 link);
	assert_string_equal(e.msg[0], want);
	unlink(link);
	if (geteuid() != 0) {
		print_message("  (not root: owner checks skipped)\n");
		return;
	}
	/* owned by someone else: refused, naming the owner and the fix */
	assert_int_equal(chown(keypath, 4242, 4242), 0);
	assert_int_equal(parse(BASE, &c, &e), 1);
	assert_non_null(strstr(e.msg[0], "t.conf:5: keys: "));
	assert_non_null(strstr(e.msg[0], " is owned by uid 4242, not by root or the user dmmd "
			       "runs as ("));
	/* owned by the daemon's user: accepted */
	assert_int_equal(chown(keypath, 65534, 65534), 0);
	assert_int_equal(parse(BASE "user nobody\n", &c, &e), 0);
	assert_string_equal(c.user, "nobody");
	/* ... but not by another user's */
	assert_int_equal(parse(BASE "user root\n", &c, &e), 1);
	assert_non_null(strstr(e.msg[0], "is owned by uid 65534, not by root or the user dmmd "
			       "runs as (root); chown it"));
	assert_int_equal(chown(keypath, 0, 0), 0);
	assert_int_equal(parse(BASE "user root\n", &c, &e), 0);
}

/* user NAME: an existing user, given once; the default is empty and not
 * printed; a set one is printed and parses back. */
static void test_user(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	char name[DMMD_USER_MAX];
	uid_t uid;
	gid_t gid;

	assert_int_equal(parse(BASE, &c, &e), 0);
	assert_string_equal(c.user, "");
	char *t = print_to_string(&c);
	assert_null(strstr(t, "\nuser "));
	free(t);
	assert_int_equal(parse(BASE "user nosuchuser-h9\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: user: no user 'nosuchuser-h9' on this system");
	assert_int_equal(parse(BASE "user root\nuser root\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:8: user given twice (first on line 7)");
	round_trip(BASE "user root\n");
	assert_int_equal(parse(BASE "user \"root\"\n", &c, &e), 0);
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\nuser \"root\"\n"));
	free(t);
	/* the default: _dmmd if it exists, else nobody */
	assert_int_equal(parse_user_ids("", &uid, &gid, name, sizeof(name)), 0);
	assert_true(strcmp(name, "_dmmd") == 0 || strcmp(name, "nobody") == 0);
	assert_int_equal(parse_user_ids("root", &uid, &gid, name, sizeof(name)), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(parse_user_ids("nosuchuser-h9", &uid, &gid, name, sizeof(name)), -1);
}

/* dataplane { hold-memory SIZE }: units, range, printed only when set. */
static void test_hold_memory(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	uint64_t v;
	char buf[32];

	assert_int_equal(parse(BASE, &c, &e), 0);
	assert_int_equal(c.dp_hold_memory, 64ull << 20);
	char *t = print_to_string(&c);
	assert_null(strstr(t, "hold-memory"));
	free(t);
	assert_int_equal(parse(BASE "dataplane { hold-memory 1G }\n", &c, &e), 0);
	assert_int_equal(c.dp_hold_memory, 1ull << 30);
	assert_int_equal(parse(BASE "dataplane { hold-memory 131072 }\n", &c, &e), 0);
	assert_int_equal(c.dp_hold_memory, 128u << 10);
	round_trip(BASE "dataplane { hold-memory 1536K }\n");
	assert_int_equal(parse(BASE "dataplane { hold-memory 1536K }\n", &c, &e), 0);
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\thold-memory 1536K\n"));
	free(t);
	assert_int_equal(parse(BASE "dataplane { hold-memory 64K }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: hold-memory: 64K out of range 128K..16G");
	assert_int_equal(parse(BASE "dataplane { hold-memory 17G }\n", &c, &e), 1);
	assert_int_equal(parse(BASE "dataplane { hold-memory 12X }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: hold-memory: '12X' is not a size (bytes, or "
			    "a number with K, M or G)");
	assert_int_equal(parse(BASE "dataplane { hold-memory M }\n", &c, &e), 1);
	assert_int_equal(parse(BASE "dataplane { hold-memory 1MB }\n", &c, &e), 1);
	assert_int_equal(parse_size("3M", &v), 0);
	assert_int_equal(v, 3u << 20);
	assert_string_equal(parse_size_str(3u << 20, buf, sizeof(buf)), "3M");
	assert_string_equal(parse_size_str(1025, buf, sizeof(buf)), "1025");
	assert_string_equal(parse_size_str(2048, buf, sizeof(buf)), "2K");
	assert_string_equal(parse_size_str(0, buf, sizeof(buf)), "0");
}

/* metrics: off by default; [IPv6]:port, IPv4:port, off; -nv prints it back;
 * malformed addresses and ports refused with their line; given once. */
static void test_metrics(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	char buf[64], *t;

	assert_int_equal(parse(BASE, &c, &e), 0);
	assert_int_equal(c.metrics_family, 0);
	t = print_to_string(&c);
	assert_null(strstr(t, "metrics"));
	free(t);
	assert_int_equal(parse(BASE "metrics [::1]:9442\n", &c, &e), 0);
	assert_int_equal(c.metrics_family, AF_INET6);
	assert_int_equal(c.metrics_port, 9442);
	assert_string_equal(parse_metrics_str(&c, buf, sizeof(buf)), "[::1]:9442");
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\nmetrics [::1]:9442\n"));
	free(t);
	round_trip(BASE "metrics [2001:db8::1]:80\n");
	assert_int_equal(parse(BASE "metrics 127.0.0.1:9100\n", &c, &e), 0);
	assert_int_equal(c.metrics_family, AF_INET);
	assert_string_equal(parse_metrics_str(&c, buf, sizeof(buf)), "127.0.0.1:9100");
	round_trip(BASE "metrics 0.0.0.0:9442\n");
	assert_int_equal(parse(BASE "metrics off\n", &c, &e), 0);
	assert_int_equal(c.metrics_family, 0);
	assert_int_equal(parse(BASE "metrics ::1:9442\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: metrics: '::1:9442' is not [IPV6]:PORT, "
			    "IPV4:PORT or off");
	assert_int_equal(parse(BASE "metrics [::1]\n", &c, &e), 1);
	assert_int_equal(parse(BASE "metrics [::g]:1\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: metrics: '::g' is not an IPv6 address");
	assert_int_equal(parse(BASE "metrics 10.0.0.256:1\n", &c, &e), 1);
	assert_int_equal(parse(BASE "metrics [::1]:0\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: metrics: port '0' is not a number in 1..65535");
	assert_int_equal(parse(BASE "metrics [::1]:65536\n", &c, &e), 1);
	assert_int_equal(parse(BASE "metrics [::1]:+80\n", &c, &e), 1);
	assert_int_equal(parse(BASE "metrics\n", &c, &e), 1);
	assert_int_equal(parse(BASE "metrics [::1]:1\nmetrics [::1]:2\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:8: metrics given twice (first on line 7)");
}

/* lm { store embedded | redis ADDR:PORT [namespace N] [replicas N] [timeout D] }:
 * embedded by default; an address, never a host name; every option checked
 * with its line; -nv prints it back and that parses to the same. */
#define LMBASE "node t1\n" \
	"address 2001:db8:ff::1\n" \
	"roles lm\n" \
	"local-network ln1\n" \
	"keys \"keys\"\n" \
	"network ln1 { prefix 2001:db8:1::/48 lm 2001:db8:ff::1 haa 2001:db8:ff::1 }\n"
static void test_lm_store(void **state)
{
	struct dmmd_conf c;
	struct errs e;
	char buf[64], *t;

	assert_int_equal(parse(LMBASE, &c, &e), 0);
	assert_int_equal(c.n_redis, 0);
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\tstore embedded\n"));
	free(t);
	assert_int_equal(parse(LMBASE "lm { store redis [2001:db8::10]:6379 }\n", &c, &e), 0);
	assert_int_equal(c.n_redis, 1);
	assert_int_equal(c.redis_family[0], AF_INET6);
	assert_int_equal(c.redis_port[0], 6379);
	assert_string_equal(c.redis_ns, "dmm");
	assert_int_equal(c.redis_replicas, 0);
	assert_int_equal(c.redis_timeout_ms, 1000);
	assert_string_equal(parse_redis_str(&c, 0, buf, sizeof(buf)), "[2001:db8::10]:6379");
	t = print_to_string(&c);
	assert_non_null(strstr(t, "\tstore redis [2001:db8::10]:6379 namespace dmm replicas 0 "
			       "timeout 1s\n"));
	free(t);
	assert_int_equal(parse(LMBASE "lm {\n\treplicate yes\n\tstore redis 10.0.0.5:7000 "
			       "namespace lm-ln1.a replicas 2 timeout 250ms\n}\n", &c, &e), 0);
	assert_int_equal(c.redis_family[0], AF_INET);
	assert_string_equal(c.redis_ns, "lm-ln1.a");
	assert_int_equal(c.redis_replicas, 2);
	assert_int_equal(c.redis_timeout_ms, 250);
	assert_true(c.core.lm_replicate);
	round_trip(LMBASE "lm { store redis 10.0.0.5:7000 namespace x replicas 1 timeout 2s }\n");
	round_trip(LMBASE "lm { store redis [::1]:6379 }\n");
	/* a primary and its replicas: the primary among them is used */
	assert_int_equal(parse(LMBASE "lm { store redis [2001:db8::10]:6379 10.0.0.6:6380 "
			       "[2001:db8::12]:6379 replicas 1 }\n", &c, &e), 0);
	assert_int_equal(c.n_redis, 3);
	assert_string_equal(parse_redis_str(&c, 1, buf, sizeof(buf)), "10.0.0.6:6380");
	assert_int_equal(c.redis_replicas, 1);
	round_trip(LMBASE "lm { store redis [2001:db8::10]:6379 10.0.0.6:6380 }\n");
	assert_int_equal(parse(LMBASE "lm { store redis [::1]:1 [::1]:2 [::1]:3 [::1]:4 [::1]:5 }\n",
			       &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: store redis: more than 4 addresses");
	assert_int_equal(parse(LMBASE "lm { store redis [::1]:1 [::1]:x }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: store redis: port 'x' is not a number in 1..65535");
	assert_int_equal(parse(LMBASE "lm { store redis [::1]:6379\nstore embedded }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:8: lm: store given twice (first on line 7)");

	assert_int_equal(parse(LMBASE "lm { store redis localhost:6379 }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: store redis: 'localhost' is not an IPv4 address");
	assert_int_equal(parse(LMBASE "lm { store redis ::1:6379 }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: store redis: '::1:6379' is not [IPV6]:PORT or "
			    "IPV4:PORT");
	assert_int_equal(parse(LMBASE "lm { store redis [::1]:0 }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: store redis: port '0' is not a number in 1..65535");
	assert_int_equal(parse(LMBASE "lm { store redis }\n", &c, &e), 1);
	assert_int_equal(parse(LMBASE "lm { store memcached }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: store: 'memcached' is not embedded or redis");
	assert_int_equal(parse(LMBASE "lm { store redis [::1]:6379 namespace a/b }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: store redis namespace: 'a/b' is not 1 to 31 "
			    "letters, digits, '-', '_' or '.'");
	assert_int_equal(parse(LMBASE "lm { store redis [::1]:6379 replicas 17 }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: store redis replicas: 17 out of range 0..16");
	assert_int_equal(parse(LMBASE "lm { store redis [::1]:6379 timeout 5ms }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: store redis timeout: 5ms is not between 10ms "
			    "and 1m");
	assert_int_equal(parse(LMBASE "lm { store redis [::1]:6379 tmeout 1s }\n", &c, &e), 1);
	assert_non_null(strstr(e.msg[0], "t.conf:7: store: unexpected 'tmeout'"));
	/* one LM address per network: several LMs sync among themselves */
	assert_int_equal(parse("node t1\naddress 2001:db8:ff::1\nroles lm\nlocal-network ln1\n"
			       "keys \"keys\"\nnetwork ln1 { prefix 2001:db8:1::/48 lm 2001:db8:ff::1 "
			       "lm 2001:db8:ff::2 haa 2001:db8:ff::1 }\n"
			       "lm { store redis [::1]:6379 }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: lm: store redis, but network ln1 lists several "
			    "LMs: front ends on one store share the network's one LM address (anycast)");
	/* an LM's store only */
	assert_int_equal(parse(BASE "lm { store redis [::1]:6379 }\n", &c, &e), 1);
	assert_string_equal(e.msg[0], "t.conf:7: lm block, but role lm is not enabled");
}

/* parse_conf_file: relative key paths are relative to the file's directory. */
static void test_file(void **state)
{
	char path[160], want[300];
	struct dmmd_conf c;
	struct errs e = { 0 };

	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	write_file(path, BASE, 0644);
	assert_int_equal(parse_conf_file(path, &c, collect, &e), 0);
	assert_string_equal(c.key_file, keypath);
	write_file(path, BASE "bogus\n", 0644);
	assert_int_equal(parse_conf_file(path, &c, collect, &e), 1);
	snprintf(want, sizeof(want), "%s:7: unknown keyword 'bogus'", path);
	assert_string_equal(e.msg[0], want);
	snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	memset(&e, 0, sizeof(e));
	assert_int_equal(parse_conf_file(path, &c, collect, &e), 1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(e.msg[0], want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_every_directive),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_attach_on),
		cmocka_unit_test(test_dataplane_driver),
		cmocka_unit_test(test_several_lms),
		cmocka_unit_test(test_attach_limits),
		cmocka_unit_test(test_router_link_local),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_missing_directives),
		cmocka_unit_test(test_meaning_errors),
		cmocka_unit_test(test_keeps_going),
		cmocka_unit_test(test_first_hour),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_pidfile),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_node_key_conf),
		cmocka_unit_test(test_key_owner_and_link),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_hold_memory),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_lm_store),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_odd_blanks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
