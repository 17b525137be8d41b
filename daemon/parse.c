/* dmmd: configuration parser (grammar in dmmd.conf(5)).
 *
 * A hand-written lexer and a table-driven recursive-descent parser. Every
 * directive knows its arguments; after an error the parser skips to the end
 * of the statement (newline, ';', or the end of a braced block) and goes on,
 * so one run reports every error (up to PARSE_MAX_ERRORS). An unknown word
 * where a keyword is expected gets the closest valid one ("did you mean").
 * The parser keeps the line of every object it reads (struct lines); the
 * checks that need the whole file (local-network, role blocks, keys) run at
 * the end, then dmm_config_check_at(), whose every problem is reported at
 * the line of the object it is about. A problem with an object whose
 * statement already had an error is not reported twice.
 *
 * This file holds the skeleton (a block of directives, the top level) and
 * the entry points; parse_int.h lists the others. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"

/* ---------------------------------------------------------------- blocks */

static const struct directive top_tab[];

/* The blocks, for "it goes in a ... block". */
static const struct { const char *name; const struct directive *tab; } blocks[] = {
	{ "network NAME", cf_net_tab }, { "mr", cf_mr_tab }, { "haa", cf_haa_tab },
	{ "lm", cf_lm_tab }, { "timers", cf_timers_tab }, { "limits", cf_limits_tab },
	{ "dataplane", cf_dp_tab },
};

/* "unknown keyword 'w'", then the closest keyword valid here, else the
 * blocks where w is valid. */
static void unknown_keyword(struct parser *ps, int line, const char *what,
			    const struct directive *tab, const char *w)
{
	const char *words[MAX_DIRECTIVES + 1];
	char hint[160] = "";
	size_t n = 0, off = 0;

	for (const struct directive *d = tab; d->kw && n < MAX_DIRECTIVES; d++)
		words[n++] = d->kw;
	words[n] = NULL;
	cf_did_you_mean(w, words, hint, sizeof(hint));
	for (size_t i = 0; (off || !hint[0]) && i < sizeof(blocks) / sizeof(blocks[0]); i++)
		if (blocks[i].tab != tab && cf_find_directive(blocks[i].tab, w))
			off += (size_t)snprintf(hint + off, sizeof(hint) - off, "%s %s {}",
						off ? " or" : "; valid only in", blocks[i].name);
	if (off && tab != top_tab && cf_find_directive(top_tab, w))
		snprintf(hint + off, sizeof(hint) - off, " or at the top level");
	if (!hint[0] && tab != top_tab && cf_find_directive(top_tab, w))
		snprintf(hint, sizeof(hint), "; valid only at the top level");
	if (what)
		cf_perr(ps, line, "%s: unknown keyword '%s'%s", what, w, hint);
	else
		cf_perr(ps, line, "unknown keyword '%s'%s", w, hint);
}

/* A directive given before in this block (or at the top level): seen[]
 * holds each one's first line, by index in its table. */
static void once(struct parser *ps, int *seen, const struct directive *tab,
		 const struct directive *d, const char *what, int line)
{
	size_t idx = (size_t)(d - tab);

	if (d->multi || idx >= MAX_DIRECTIVES)
		return;
	if (seen[idx]) {
		if (what)
			cf_perr(ps, line, "%s: %s given twice (first on line %d)", what, d->kw,
				seen[idx]);
		else
			cf_perr(ps, line, "%s given twice (first on line %d)", d->kw, seen[idx]);
	} else {
		seen[idx] = line;
	}
}

/* The directive of tab that t, a statement's first token, names (what: the
 * block, NULL at the top level), its keyword copied to kw (TOK_MAX); or,
 * t naming none, the error said, the statement skipped and NULL. */
static const struct directive *statement(struct parser *ps, const struct tok *t,
					 const char *what, const struct directive *tab, char *kw)
{
	const struct directive *d = t->kind == T_WORD ? cf_find_directive(tab, t->text) : NULL;
	int line = t->line;

	snprintf(kw, TOK_MAX, "%s", t->text);
	if (d)
		return d;
	if (t->kind == T_WORD)
		unknown_keyword(ps, line, what, tab, kw);
	else if (what)
		cf_perr(ps, line, "%s: unknown keyword '%s'", what, cf_tok_desc(t));
	else
		cf_perr(ps, line, "unknown keyword '%s'", cf_tok_desc(t));
	cf_skip_statement(ps, tab);
	return NULL;
}

/* "{ directive... }": each directive from tab, separated by line ends, ';'
 * or nothing. */
int cf_parse_block(struct parser *ps, const char *what, const struct directive *tab,
		   void *obj)
{
	struct tok *t = cf_peek(ps);
	int open_line = t->line;
	int seen[MAX_DIRECTIVES] = { 0 };

	if (t->kind != T_LBRACE) {
		cf_perr(ps, t->line, "%s: expected {, got %s", what, cf_tok_desc(t));
		return -1;
	}
	cf_next(ps);
	for (;;) {
		t = cf_next(ps);
		if (t->kind == T_END)
			continue;
		if (t->kind == T_RBRACE)
			return 0;
		if (t->kind == T_EOF) {
			cf_perr(ps, open_line, "%s: missing } for the { on this line", what);
			return 0;
		}
		if (ps->stopped)
			return 0;
		char kw[TOK_MAX];
		int line = t->line;
		const struct directive *d = statement(ps, t, what, tab, kw);
		if (!d)
			continue;
		once(ps, seen, tab, d, what, line);
		if (d->fn(ps, kw, obj) != 0)
			cf_skip_statement(ps, tab);
	}
}

/* The words after a statement's arguments on its line must start the next
 * statement of its block (tab): anything else is a misspelt option
 * (options: what was expected, NULL-terminated). 0, or -1 after an error. */
int cf_trailing_word(struct parser *ps, const char *kw, const struct directive *tab,
		     const char *const *options)
{
	struct tok *t = cf_peek(ps);
	char dym[64], list[128] = "";
	size_t off = 0;

	if (t->kind != T_WORD || cf_find_directive(tab, t->text))
		return 0;
	for (const char *const *o = options; *o; o++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
					off ? (o[1] ? ", " : " or ") : "", *o);
	cf_perr(ps, t->line, "%s: unexpected '%s' (expected %s)%s", kw, t->text, list,
		cf_did_you_mean(t->text, options, dym, sizeof(dym)));
	return -1;
}

/* ---------------------------------------------------------------- top level */

static int top_node(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_str(ps, kw, "a node name", ps->c->core.name, sizeof(ps->c->core.name));
}

static int top_address(struct parser *ps, const char *kw, void *obj)
{
	int line = cf_peek(ps)->line;

	return cf_note_line(&ps->ln->self, line, cf_want_addr(ps, kw, &ps->c->core.self));
}

static int roles_args(struct parser *ps)
{
	static const char *const names[] = { "mr", "lm", "haa", NULL };
	static const unsigned bits[] = { DMM_ROLE_MR, DMM_ROLE_LM, DMM_ROLE_HAA };
	struct dmm_config *c = &ps->c->core;
	struct tok *t;
	char dym[64];
	int bad = 0;

	c->roles = 0;
	while ((t = cf_peek(ps))->kind == T_WORD) {
		unsigned k;
		cf_next(ps);
		for (k = 0; names[k] && strcmp(t->text, names[k]) != 0; k++)
			;
		if (!names[k]) {
			cf_perr(ps, t->line, "roles: unknown role '%s' (mr, lm, haa)%s", t->text,
				cf_did_you_mean(t->text, names, dym, sizeof(dym)));
			bad = 1;
		} else if (c->roles & bits[k]) {
			cf_perr(ps, t->line, "roles: %s given twice", names[k]);
			bad = 1;
		}
		c->roles |= names[k] ? bits[k] : 0;
	}
	if (!bad && c->roles == 0) {
		cf_perr(ps, t->line, "roles: expected at least one of mr, lm, haa");
		return -1;
	}
	return bad ? -1 : 0;
}

static int top_roles(struct parser *ps, const char *kw, void *obj)
{
	int line = cf_peek(ps)->line;

	return cf_note_line(&ps->ln->roles, line, roles_args(ps));
}

static int top_local_network(struct parser *ps, const char *kw, void *obj)
{
	int line = cf_peek(ps)->line;

	return cf_note_line(&ps->local_net_line, line,
			    cf_want_str(ps, kw, "a network name", ps->local_net,
					sizeof(ps->local_net)));
}

int cf_resolve_path(struct parser *ps, int line, const char *kw, const char *path,
			char *dst, size_t cap)
{
	char buf[2 * DMMD_PATH_MAX];

	if (path[0] != '/' && ps->basedir)
		snprintf(buf, sizeof(buf), "%s/%s", ps->basedir, path);
	else
		snprintf(buf, sizeof(buf), "%s", path);
	return cf_set_str(ps, line, kw, dst, cap, buf);
}

/* keys PATH [active ID] */
static int top_keys(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *c = ps->c;
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "a key file path");

	ps->keys_line = line;
	ps->ln->keys = -line; /* until the key file is read */
	if (!w)
		return -1;
	if (cf_resolve_path(ps, line, kw, w, c->key_file, sizeof(c->key_file)) != 0)
		return -1;
	if (cf_opt_kw(ps, "active")) {
		if (cf_want_u32(ps, "keys active", 0, UINT32_MAX, &ps->active) != 0)
			return -1;
		ps->active_set = true;
	}
	memset(&c->core.keys, 0, sizeof(c->core.keys));
	ps->key_read = cf_keys_read(c->key_file, &c->core.keys, cf_report, ps,
				    &ps->key_owner) == 0;
	if (ps->key_read)
		ps->ln->keys = line;
	return 0;
}

static int top_control(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_str(ps, kw, "a socket path", ps->c->control, sizeof(ps->c->control));
}

static int top_event_log(struct parser *ps, const char *kw, void *obj)
{
	return cf_want_str(ps, kw, "a file path", ps->c->event_log, sizeof(ps->c->event_log));
}

/* state DIR [sync] | state none */
static int top_state(struct parser *ps, const char *kw, void *obj)
{
	static const char *const sync_opt[] = { "sync", NULL };
	struct dmmd_conf *c = ps->c;
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "a directory, or none");

	if (!w)
		return -1;
	c->state_dir[0] = '\0';
	c->state_sync = false;
	if (strcmp(w, "none") == 0)
		return 0;
	if (cf_resolve_path(ps, line, kw, w, c->state_dir, sizeof(c->state_dir)) != 0)
		return -1;
	c->state_sync = cf_opt_kw(ps, "sync");
	return c->state_sync ? 0 : cf_trailing_word(ps, kw, top_tab, sync_opt);
}

/* pidfile PATH: relative to the configuration file, like the key file. */
static int top_pidfile(struct parser *ps, const char *kw, void *obj)
{
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "a file path");

	if (!w)
		return -1;
	if (!w[0]) {
		cf_perr(ps, line, "%s: empty string", kw);
		return -1;
	}
	return cf_resolve_path(ps, line, kw, w, ps->c->pidfile, sizeof(ps->c->pidfile));
}

/* user NAME: checked at the end (the key file's owner depends on it). */
static int top_user(struct parser *ps, const char *kw, void *obj)
{
	ps->user_line = cf_peek(ps)->line;
	return cf_want_str(ps, kw, "a user name", ps->c->user, sizeof(ps->c->user));
}

/* [ADDR6]:PORT or ADDR4:PORT (w) into *a (IPv4 mapped), *family, *port;
 * what names the statement in errors, or_else the other values it takes
 * ("" if none). 0 or -1 after an error. */
int cf_hostport(struct parser *ps, int line, const char *what, const char *w,
		struct in6_addr *a, int *family, uint16_t *port, const char *or_else)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *ps_port;
	struct in_addr a4;
	char *end;
	unsigned long n;

	if (w[0] == '[') {
		const char *rb = strchr(w, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - w - 1) >= sizeof(host))
			goto bad;
		memcpy(host, w + 1, (size_t)(rb - w - 1));
		host[rb - w - 1] = '\0';
		ps_port = rb + 2;
		if (inet_pton(AF_INET6, host, a) != 1) {
			cf_perr(ps, line, "%s: '%s' is not an IPv6 address", what, host);
			return -1;
		}
		*family = AF_INET6;
	} else {
		const char *colon = strrchr(w, ':');
		if (!colon || colon == w || (size_t)(colon - w) >= sizeof(host) ||
		    memchr(w, ':', (size_t)(colon - w)))
			goto bad;
		memcpy(host, w, (size_t)(colon - w));
		host[colon - w] = '\0';
		ps_port = colon + 1;
		if (inet_pton(AF_INET, host, &a4) != 1) {
			cf_perr(ps, line, "%s: '%s' is not an IPv4 address", what, host);
			return -1;
		}
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &a4, 4);
		*family = AF_INET;
	}
	errno = 0;
	n = strtoul(ps_port, &end, 10);
	if (!*ps_port || *end || errno || n < 1 || n > 65535 || !isdigit((unsigned char)*ps_port)) {
		cf_perr(ps, line, "%s: port '%s' is not a number in 1..65535", what, ps_port);
		return -1;
	}
	*port = (uint16_t)n;
	return 0;
bad:
	cf_perr(ps, line, "%s: '%s' is not [IPV6]:PORT%s IPV4:PORT%s", what, w,
		or_else[0] ? "," : " or", or_else);
	return -1;
}

/* metrics [ADDR6]:PORT | ADDR4:PORT | off */
static int top_metrics(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *c = ps->c;
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "[ADDRESS]:PORT or off");

	if (!w)
		return -1;
	if (strcmp(w, "off") == 0) {
		c->metrics_family = 0;
		return 0;
	}
	return cf_hostport(ps, line, "metrics", w, &c->metrics_addr, &c->metrics_family,
			   &c->metrics_port, " or off");
}

/* signalling raw|udp|both [port N] */
static int top_signalling(struct parser *ps, const char *kw, void *obj)
{
	static const char *const sigs[] = { "raw", "udp", "both", NULL };
	static const enum dmmd_signalling vals[] = { DMMD_SIG_RAW, DMMD_SIG_UDP, DMMD_SIG_BOTH };
	struct dmmd_conf *c = ps->c;
	uint32_t port;
	unsigned i;

	if (cf_want_choice(ps, kw, sigs, "raw, udp or both", &i) != 0)
		return -1;
	c->signalling = vals[i];
	if (cf_opt_kw(ps, "port")) {
		if (cf_want_u32(ps, "signalling port", 1, 65535, &port) != 0)
			return -1;
		c->udp_port = (uint16_t)port;
	}
	return 0;
}

static int top_mr(struct parser *ps, const char *kw, void *obj)
{
	ps->ln->mr_block = ps->tok.line;
	return cf_parse_block(ps, kw, cf_mr_tab, &ps->c->core);
}

static int top_haa(struct parser *ps, const char *kw, void *obj)
{
	unsigned skipped = ps->skipped_kw;
	int rc;

	ps->ln->haa_block = ps->tok.line;
	rc = cf_parse_block(ps, kw, cf_haa_tab, &ps->c->core);
	if (ps->skipped_kw > skipped)
		ps->ln->bad_pool = true; /* skipped statements may have been pools */
	return rc;
}

static int top_lm(struct parser *ps, const char *kw, void *obj)
{
	return cf_parse_block(ps, kw, cf_lm_tab, &ps->c->core);
}

static int top_timers(struct parser *ps, const char *kw, void *obj)
{
	return cf_parse_block(ps, kw, cf_timers_tab, &ps->c->core.timers);
}

static int top_limits(struct parser *ps, const char *kw, void *obj)
{
	return cf_parse_block(ps, kw, cf_limits_tab, &ps->c->core.limits);
}

const char *const dmmd_dataplane_names[4] = { "auto", "seg6", "bpf", "tun" };

/* dataplane [auto|seg6|bpf|tun] [{ ... }]: a driver, a block, or both; the
 * driver once and the block once in a file. */
static int top_dataplane(struct parser *ps, const char *kw, void *obj)
{
	static const char *const names[] = { "auto", "seg6", "bpf", "tun", NULL };
	struct tok *t = cf_peek(ps);
	char dym[64];

	if (t->kind == T_WORD) {
		unsigned k;
		for (k = 0; k < 4 && strcmp(t->text, dmmd_dataplane_names[k]) != 0; k++)
			;
		if (k == 4) {
			cf_perr(ps, t->line, "dataplane: unknown driver '%s' (auto, seg6, bpf "
				"or tun)%s", t->text,
				cf_did_you_mean(t->text, names, dym, sizeof(dym)));
			return -1;
		}
		if (ps->dp_driver_line)
			cf_perr(ps, t->line, "dataplane: driver given twice (first on line %d)",
				ps->dp_driver_line);
		else
			ps->dp_driver_line = t->line;
		ps->c->dataplane = (enum dmmd_dataplane)k;
		cf_next(ps);
		if (cf_peek(ps)->kind != T_LBRACE)
			return 0;
	}
	if (cf_peek(ps)->kind == T_LBRACE && ps->dp_block_line)
		cf_perr(ps, cf_peek(ps)->line, "dataplane {} block given twice (first on line %d)",
			ps->dp_block_line);
	else if (cf_peek(ps)->kind == T_LBRACE)
		ps->dp_block_line = cf_peek(ps)->line;
	return cf_parse_block(ps, kw, cf_dp_tab, ps->c);
}

/* Each may be given once but network (multi) and dataplane (a driver and a
 * block: top_dataplane checks). */
static const struct directive top_tab[] = {
	{ "node", top_node, false },
	{ "address", top_address, false },
	{ "roles", top_roles, false },
	{ "local-network", top_local_network, false },
	{ "keys", top_keys, false },
	{ "control", top_control, false },
	{ "event-log", top_event_log, false },
	{ "signalling", top_signalling, false },
	{ "user", top_user, false },
	{ "state", top_state, false },
	{ "metrics", top_metrics, false },
	{ "pidfile", top_pidfile, false },
	{ "mr", top_mr, false },
	{ "haa", top_haa, false },
	{ "lm", top_lm, false },
	{ "timers", top_timers, false },
	{ "limits", top_limits, false },
	{ "dataplane", top_dataplane, true },
	{ "network", cf_top_network, true },
	{ NULL, NULL, false },
};

int cf_top_line(const struct parser *ps, const char *kw)
{
	const struct directive *d = cf_find_directive(top_tab, kw);

	return d ? ps->top_line[d - top_tab] : 0;
}

static bool top_is_block(const struct directive *d)
{
	return d->fn == top_mr || d->fn == top_haa || d->fn == top_lm ||
	       d->fn == top_timers || d->fn == top_limits;
}

/* Skip everything left: the error limit is reached. */
static void skip_rest(struct parser *ps)
{
	while (cf_next(ps)->kind != T_EOF)
		;
}

static void parse_top(struct parser *ps)
{
	for (;;) {
		struct tok *t = cf_next(ps);
		if (t->kind == T_EOF)
			return;
		if (t->kind == T_END)
			continue;
		if (ps->stopped) {
			skip_rest(ps);
			return;
		}
		char kw[TOK_MAX];
		int line = t->line;
		const struct directive *d = statement(ps, t, NULL, top_tab, kw);
		if (!d) {
			if (cf_peek(ps)->kind == T_RBRACE)
				cf_next(ps); /* a stray '}' at top level */
			continue;
		}
		unsigned idx = (unsigned)(d - top_tab);
		if (!d->multi && ps->top_line[idx])
			cf_perr(ps, line, "%s%s given twice (first on line %d)", kw,
				top_is_block(d) ? " {} block" : "", ps->top_line[idx]);
		else if (!ps->top_line[idx])
			ps->top_line[idx] = line;
		if (d->fn(ps, kw, NULL) != 0)
			cf_skip_statement(ps, top_tab);
	}
}

/* ---------------------------------------------------------------- entry points */

void parse_conf_defaults(struct dmmd_conf *c)
{
	memset(c, 0, sizeof(*c));
	dmm_config_defaults(&c->core);
	snprintf(c->control, sizeof(c->control), "%s", DMMD_CONTROL_DEFAULT);
	c->signalling = DMMD_SIG_RAW;
	c->udp_port = DMMD_UDP_PORT;
	c->dp_table = 4242;
	c->dp_rule_pref = 1000;
	c->dp_protocol = 177;
	snprintf(c->dp_tun, sizeof(c->dp_tun), "dmm0");
	c->dp_hold_limit = 4096;
	c->dp_hold_memory = DMMD_HOLD_MEMORY_DEFAULT;
	c->attach_on = DMMD_ATTACH_FIRST_FRAME;
	c->router_ll = (struct in6_addr){ .s6_addr = { 0xfe, 0x80, [15] = 1 } };
	c->anycast_probe_ms = 1000;
	c->anycast_dead_ms = 3000;
	snprintf(c->redis_ns, sizeof(c->redis_ns), "dmm");
	c->redis_timeout_ms = 1000;
}

int parse_conf_text(const char *name, const char *text, const char *basedir,
		    struct dmmd_conf *c, parse_err_fn *err, void *ctx)
{
	struct parser ps = {
		.name = name, .p = text, .line = 1, .basedir = basedir,
		.c = c, .err = err, .ctx = ctx,
	};

	struct lines *ln = calloc(1, sizeof(*ln));
	char msg[DMMD_PATH_MAX + 80];

	parse_conf_defaults(c);
	if (!ln) {
		snprintf(msg, sizeof(msg), "%s: out of memory", name);
		if (err)
			err(ctx, msg);
		return 1;
	}
	ps.ln = ln;
	parse_top(&ps);
	if (!ps.stopped)
		cf_check_final(&ps);
	if (!ps.stopped)
		dmm_config_check_at(&c->core, cf_check_err_at, &ps);
	if (ps.stopped && err) {
		snprintf(msg, sizeof(msg), "%s: too many errors; stopped after %d", name,
			 PARSE_MAX_ERRORS);
		err(ctx, msg);
	}
	free(ln);
	return ps.errors;
}

static char *read_all(FILE *f, size_t max)
{
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);

	while (buf) {
		if (n + 1 >= cap) {
			char *nb = cap >= max ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	if (buf)
		buf[n] = '\0';
	return buf;
}

int parse_conf_file(const char *path, struct dmmd_conf *c, parse_err_fn *err, void *ctx)
{
	char msg[DMMD_PATH_MAX + 128], dir[PATH_MAX], *text, *slash;
	FILE *f = fopen(path, "r");
	int n;

	if (!f) {
		parse_conf_defaults(c);
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
		if (err)
			err(ctx, msg);
		return 1;
	}
	text = read_all(f, 1u << 20);
	fclose(f);
	if (!text) {
		parse_conf_defaults(c);
		snprintf(msg, sizeof(msg), "%s: unreadable or larger than 1 MiB", path);
		if (err)
			err(ctx, msg);
		return 1;
	}
	/* Relative paths inside the file are relative to the file itself. */
	snprintf(msg, sizeof(msg), "%s", path);
	slash = strrchr(msg, '/');
	if (slash)
		*slash = '\0';
	if (!realpath(slash ? msg : ".", dir))
		snprintf(dir, sizeof(dir), "%s", slash ? msg : ".");
	n = parse_conf_text(path, text, dir, c, err, ctx);
	free(text);
	return n;
}
