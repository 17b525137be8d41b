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
 * statement already had an error is not reported twice. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"

#define TOK_MAX 512
#define PARSE_MAX_ERRORS 50 /* then the parse stops: one mistake can cause many */
#define N_TIMER_SLOTS (sizeof(struct dmm_timers) / sizeof(uint32_t))
#define N_LIMIT_SLOTS (sizeof(struct dmm_limits) / sizeof(uint32_t))

enum tok_kind { T_WORD, T_LBRACE, T_RBRACE, T_END, T_EOF };

struct tok {
	enum tok_kind kind;
	int line;
	char text[TOK_MAX];
};

struct parser {
	const char *name;
	const char *p;   /* next input byte */
	int line;        /* line of *p */
	struct tok tok;  /* current token */
	bool have_tok;
	const char *basedir;
	struct dmmd_conf *c;
	parse_err_fn *err;
	void *ctx;
	int errors;
	bool stopped;            /* PARSE_MAX_ERRORS reached */
	unsigned skipped_kw;     /* keywords skipped with broken statements */
	/* for the checks at the end */
	int top_line[24];        /* top-level directives given: first line, by index */
	char local_net[DMM_NAME_MAX + 8];
	int local_net_line;
	int keys_line, user_line;
	int dp_driver_line, dp_block_line;
	uid_t key_owner;         /* of the key file read */
	bool key_read;
	bool active_set;
	uint32_t active;
	struct lines *ln;
};

/* Where each object of the config was declared, for the whole-file checks:
 * a line, 0 if not given, or minus the line of a statement that had an
 * error (the checks say nothing more about it). Indexes as in the config;
 * timers and limits by field (offset / 4). */
struct lines {
	int self, roles, keys, ro_mode, mr_block, haa_block, locator;
	int net[DMM_MAX_NETS];
	int net_prefix[DMM_MAX_NETS][DMM_MAX_NET_PREFIX];
	bool net_bad_prefix[DMM_MAX_NETS];
	int net_lm[DMM_MAX_NETS], net_haa[DMM_MAX_NETS];
	int net_mr[DMM_MAX_NETS][DMM_MAX_NET_MRS];
	int pool[DMM_MAX_POOLS];
	bool bad_pool;
	int fixed[DMM_MAX_NET_PREFIX];
	int timer[N_TIMER_SLOTS];
	int limit[N_LIMIT_SLOTS];
};

/* ---------------------------------------------------------------- errors */

static void perr(struct parser *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void perr(struct parser *ps, int line, const char *fmt, ...)
{
	char msg[600], out[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(out, sizeof(out), "%s:%d: %s", ps->name, line, msg);
	else
		snprintf(out, sizeof(out), "%s: %s", ps->name, msg);
	if (ps->errors >= PARSE_MAX_ERRORS) {
		ps->stopped = true;
		return;
	}
	ps->errors++;
	if (ps->err)
		ps->err(ps->ctx, out);
}

/* ---------------------------------------------------------------- suggestions */

/* Optimal string alignment distance (a swap of two neighbours costs 1), for
 * words up to 32 characters; longer ones are too far from any keyword. */
static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[33][33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* The word of words[] (NULL-terminated) closest to w: at most 1 edit away
 * for words up to 4 characters, 2 for longer ones; NULL if none is. */
static const char *closest(const char *w, const char *const *words)
{
	const char *best = NULL;
	size_t lw = strlen(w);
	unsigned best_d = lw <= 4 ? 2 : 3;

	for (; *words; words++) {
		size_t lk = strlen(*words);
		unsigned dist;
		/* the distance is at least the difference in length */
		if ((lw > lk ? lw - lk : lk - lw) >= best_d)
			continue;
		dist = edit_distance(w, *words);
		if (dist < best_d && dist < lk) {
			best = *words;
			best_d = dist;
		}
	}
	return best;
}

/* "; did you mean 'X'?" for perr, or "". */
static const char *did_you_mean(const char *w, const char *const *words, char *buf,
				size_t len)
{
	const char *s = closest(w, words);

	if (!s)
		return "";
	snprintf(buf, len, "; did you mean '%s'?", s);
	return buf;
}

/* ---------------------------------------------------------------- lexer */

static bool word_char(int ch)
{
	return ch != '\0' && !isspace((unsigned char)ch) && ch != '{' && ch != '}' && ch != ';' &&
	       ch != '#' && ch != '"';
}

static void lex_quoted(struct parser *ps, struct tok *t)
{
	size_t n = 0;

	ps->p++;
	while (*ps->p && *ps->p != '"' && *ps->p != '\n') {
		if (*ps->p == '\\' && (ps->p[1] == '"' || ps->p[1] == '\\'))
			ps->p++;
		if (n + 1 < sizeof(t->text))
			t->text[n++] = *ps->p;
		ps->p++;
	}
	t->text[n] = '\0';
	if (*ps->p == '"')
		ps->p++;
	else
		perr(ps, t->line, "unterminated quoted string");
	if (n + 1 >= sizeof(t->text))
		perr(ps, t->line, "string too long");
}

static void lex(struct parser *ps, struct tok *t)
{
	size_t n = 0;

	for (;;) {
		/* every blank but the newline, which ends a statement: a '\v'
		 * or '\f' skipped here cannot become an empty word (a hang) */
		while (*ps->p != '\n' && isspace((unsigned char)*ps->p))
			ps->p++;
		if (*ps->p != '#')
			break;
		while (*ps->p && *ps->p != '\n')
			ps->p++;
	}
	t->line = ps->line;
	t->text[0] = '\0';
	switch (*ps->p) {
	case '\0': t->kind = T_EOF; return;
	case '\n': ps->line++; /* fallthrough */
	case ';': t->kind = T_END; ps->p++; return;
	case '{': t->kind = T_LBRACE; ps->p++; return;
	case '}': t->kind = T_RBRACE; ps->p++; return;
	case '"': t->kind = T_WORD; lex_quoted(ps, t); return;
	}
	t->kind = T_WORD;
	while (word_char(*ps->p)) {
		if (n + 1 < sizeof(t->text))
			t->text[n++] = *ps->p;
		ps->p++;
	}
	t->text[n] = '\0';
}

static struct tok *peek(struct parser *ps)
{
	if (!ps->have_tok) {
		lex(ps, &ps->tok);
		ps->have_tok = true;
	}
	return &ps->tok;
}

static struct tok *next(struct parser *ps)
{
	struct tok *t = peek(ps);

	ps->have_tok = false;
	return t;
}

static const struct directive *find_directive(const struct directive *tab, const char *kw);

/* Skip the rest of a broken statement: up to the end of the line, or the
 * '}' closing the enclosing block (left for the caller), or past a whole
 * braced block the statement opened. Words skipped that are keywords of
 * the block (tab) are counted in ps->skipped_kw: statements lost with it. */
static void skip_statement(struct parser *ps, const struct directive *tab)
{
	int depth = 0;

	for (;;) {
		struct tok *t = peek(ps);
		if (t->kind == T_EOF)
			return;
		if (t->kind == T_RBRACE && depth == 0)
			return;
		if (t->kind == T_WORD && depth == 0 && find_directive(tab, t->text))
			ps->skipped_kw++;
		next(ps);
		if (t->kind == T_LBRACE)
			depth++;
		else if (t->kind == T_RBRACE && --depth == 0)
			return;
		else if (t->kind == T_END && depth == 0)
			return;
	}
}

/* ---------------------------------------------------------------- values */

static const char *tok_desc(const struct tok *t)
{
	switch (t->kind) {
	case T_WORD: return t->text;
	case T_LBRACE: return "{";
	case T_RBRACE: return "}";
	case T_END: return "end of line";
	default: return "end of file";
	}
}

/* The next token as a word; error "KW: expected WHAT" otherwise (the token
 * is left in place so recovery sees line ends and braces). */
static const char *want_word(struct parser *ps, const char *kw, const char *what)
{
	struct tok *t = peek(ps);

	if (t->kind != T_WORD) {
		perr(ps, t->line, "%s: expected %s, got %s", kw, what, tok_desc(t));
		return NULL;
	}
	next(ps);
	return t->text;
}

static int want_addr(struct parser *ps, const char *kw, struct in6_addr *a)
{
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "an IPv6 address");

	if (!w)
		return -1;
	if (inet_pton(AF_INET6, w, a) != 1) {
		perr(ps, line, "%s: '%s' is not an IPv6 address", kw, w);
		return -1;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(a)) {
		perr(ps, line, "%s: '%s' is the unspecified address", kw, w);
		return -1;
	}
	return 0;
}

static int want_prefix(struct parser *ps, const char *kw, struct dmm_prefix *p)
{
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "an IPv6 prefix");
	struct in6_addr raw;
	char buf[INET6_ADDRSTRLEN];

	if (!w)
		return -1;
	if (!strchr(w, '/') || dmm_prefix_parse(w, p) != 0) {
		perr(ps, line, "%s: '%s' is not an IPv6 prefix (address/length)", kw, w);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)(strchr(w, '/') - w), w);
	if (inet_pton(AF_INET6, buf, &raw) == 1 && memcmp(&raw, &p->addr, sizeof(raw))) {
		perr(ps, line, "%s: prefix '%s' has host bits set", kw, w);
		return -1;
	}
	return 0;
}

static int want_u32(struct parser *ps, const char *kw, uint32_t min, uint32_t max,
		    uint32_t *v)
{
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "a number");
	unsigned long long x;
	char *end;

	if (!w)
		return -1;
	errno = 0;
	x = strtoull(w, &end, 10);
	if (!isdigit((unsigned char)w[0]) || *end || errno) {
		perr(ps, line, "%s: '%s' is not a number", kw, w);
		return -1;
	}
	if (x < min || x > max) {
		perr(ps, line, "%s: %s out of range %u..%u", kw, w, min, max);
		return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

static int want_bool(struct parser *ps, const char *kw, bool *v)
{
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "yes or no");

	if (!w)
		return -1;
	if (strcmp(w, "yes") == 0)
		*v = true;
	else if (strcmp(w, "no") == 0)
		*v = false;
	else {
		static const char *const yn[] = { "yes", "no", NULL };
		char dym[64];
		perr(ps, line, "%s: expected yes or no, got '%s'%s", kw, w,
		     did_you_mean(w, yn, dym, sizeof(dym)));
		return -1;
	}
	return 0;
}

/* Copy s into a fixed field, zero-filled (the round trip compares bytes). */
static int set_str(struct parser *ps, int line, const char *kw, char *dst, size_t cap,
		   const char *s)
{
	if (strlen(s) >= cap) {
		perr(ps, line, "%s: '%s' longer than %zu characters", kw, s, cap - 1);
		return -1;
	}
	memset(dst, 0, cap);
	memcpy(dst, s, strlen(s));
	return 0;
}

static int want_str(struct parser *ps, const char *kw, const char *what, char *dst,
		    size_t cap)
{
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, what);

	if (!w)
		return -1;
	if (w[0] == '\0') {
		perr(ps, line, "%s: empty string", kw);
		return -1;
	}
	return set_str(ps, line, kw, dst, cap, w);
}

int parse_duration(const char *s, uint64_t *ms)
{
	static const struct { const char *u; uint64_t mul; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || x > UINT32_MAX)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].u) == 0) {
			*ms = x * units[i].mul;
			return 0;
		}
	return -1;
}

const char *parse_duration_str(uint64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	return buf;
}

/* A duration into a field counted in ms (secs false) or whole seconds. */
static int want_duration(struct parser *ps, const char *kw, bool secs, uint32_t *v)
{
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "a duration");
	uint64_t ms;

	if (!w)
		return -1;
	if (parse_duration(w, &ms) != 0) {
		perr(ps, line, "%s: '%s' is not a duration (number with ms, s, m or h)",
		     kw, w);
		return -1;
	}
	if (secs && ms % 1000) {
		perr(ps, line, "%s: %s is not a whole number of seconds", kw, w);
		return -1;
	}
	if ((secs ? ms / 1000 : ms) > UINT32_MAX) {
		perr(ps, line, "%s: %s is too long", kw, w);
		return -1;
	}
	*v = (uint32_t)(secs ? ms / 1000 : ms);
	return 0;
}

/* An optional "KEYWORD value" after the mandatory arguments. */
static bool opt_kw(struct parser *ps, const char *kw)
{
	struct tok *t = peek(ps);

	if (t->kind == T_WORD && strcmp(t->text, kw) == 0) {
		next(ps);
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- blocks */

typedef int directive_fn(struct parser *ps, const char *kw, void *obj);

/* A keyword of a block and its parser; multi: it may be given more than
 * once (each adds an entry), else a second one is an error. */
struct directive {
	const char *kw;
	directive_fn *fn;
	bool multi;
};

#define MAX_DIRECTIVES 24 /* per table */

static const struct directive *find_directive(const struct directive *tab, const char *kw)
{
	for (; tab->kw; tab++)
		if (strcmp(tab->kw, kw) == 0)
			return tab;
	return NULL;
}

static const struct directive top_tab[], net_tab[], mr_tab[], haa_tab[], lm_tab[],
	timers_tab[], limits_tab[], dp_tab[];

/* The blocks, for "it goes in a ... block". */
static const struct { const char *name; const struct directive *tab; } blocks[] = {
	{ "network NAME", net_tab }, { "mr", mr_tab }, { "haa", haa_tab }, { "lm", lm_tab },
	{ "timers", timers_tab }, { "limits", limits_tab }, { "dataplane", dp_tab },
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
	did_you_mean(w, words, hint, sizeof(hint));
	for (size_t i = 0; (off || !hint[0]) && i < sizeof(blocks) / sizeof(blocks[0]); i++)
		if (blocks[i].tab != tab && find_directive(blocks[i].tab, w))
			off += (size_t)snprintf(hint + off, sizeof(hint) - off, "%s %s {}",
						off ? " or" : "; valid only in", blocks[i].name);
	if (off && tab != top_tab && find_directive(top_tab, w))
		snprintf(hint + off, sizeof(hint) - off, " or at the top level");
	if (!hint[0] && tab != top_tab && find_directive(top_tab, w))
		snprintf(hint, sizeof(hint), "; valid only at the top level");
	if (what)
		perr(ps, line, "%s: unknown keyword '%s'%s", what, w, hint);
	else
		perr(ps, line, "unknown keyword '%s'%s", w, hint);
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
			perr(ps, line, "%s: %s given twice (first on line %d)", what, d->kw,
			     seen[idx]);
		else
			perr(ps, line, "%s given twice (first on line %d)", d->kw, seen[idx]);
	} else {
		seen[idx] = line;
	}
}

/* "{ directive... }": each directive from tab, separated by line ends, ';'
 * or nothing. */
static int parse_block(struct parser *ps, const char *what, const struct directive *tab,
		       void *obj)
{
	struct tok *t = peek(ps);
	int open_line = t->line;
	int seen[MAX_DIRECTIVES] = { 0 };

	if (t->kind != T_LBRACE) {
		perr(ps, t->line, "%s: expected {, got %s", what, tok_desc(t));
		return -1;
	}
	next(ps);
	for (;;) {
		t = next(ps);
		if (t->kind == T_END)
			continue;
		if (t->kind == T_RBRACE)
			return 0;
		if (t->kind == T_EOF) {
			perr(ps, open_line, "%s: missing } for the { on this line", what);
			return 0;
		}
		if (ps->stopped)
			return 0;
		char kw[TOK_MAX];
		int line = t->line;
		const struct directive *d = t->kind == T_WORD ? find_directive(tab, t->text) : NULL;
		snprintf(kw, sizeof(kw), "%s", t->text);
		if (!d) {
			if (t->kind == T_WORD)
				unknown_keyword(ps, line, what, tab, kw);
			else
				perr(ps, line, "%s: unknown keyword '%s'", what, tok_desc(t));
			skip_statement(ps, tab);
			continue;
		}
		once(ps, seen, tab, d, what, line);
		if (d->fn(ps, kw, obj) != 0)
			skip_statement(ps, tab);
	}
}

/* The words after a statement's arguments on its line must start the next
 * statement of its block (tab): anything else is a misspelt option
 * (options: what was expected, NULL-terminated). 0, or -1 after an error. */
static int trailing_word(struct parser *ps, const char *kw, const struct directive *tab,
			 const char *const *options)
{
	struct tok *t = peek(ps);
	char dym[64], list[128] = "";
	size_t off = 0;

	if (t->kind != T_WORD || find_directive(tab, t->text))
		return 0;
	for (const char *const *o = options; *o; o++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
					off ? (o[1] ? ", " : " or ") : "", *o);
	perr(ps, t->line, "%s: unexpected '%s' (expected %s)%s", kw, t->text, list,
	     did_you_mean(t->text, options, dym, sizeof(dym)));
	return -1;
}

/* network NAME { prefix P ... lm A haa A mr A ... } */

/* The index of network n in the config, -1 for the scratch one (too many). */
static int net_index(struct parser *ps, const struct dmm_network *n)
{
	const struct dmm_network *first = ps->c->core.nets;

	return n >= first && n < first + DMM_MAX_NETS ? (int)(n - first) : -1;
}

/* line into *slot if the statement parsed (rc 0), else -line. */
static int note_line(int *slot, int line, int rc)
{
	if (slot)
		*slot = rc == 0 ? line : -line;
	return rc;
}

static int net_prefix(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_network *n = obj;
	int line = peek(ps)->line, i = net_index(ps, n);
	struct dmm_prefix p;

	memset(&p, 0, sizeof(p)); /* padding too: configs are compared bytewise */
	if (want_prefix(ps, kw, &p) != 0)
		goto bad;
	if (n->n_prefixes >= DMM_MAX_NET_PREFIX) {
		perr(ps, line, "prefix: more than %d prefixes in network %s",
		     DMM_MAX_NET_PREFIX, n->name);
		goto bad;
	}
	if (i >= 0)
		ps->ln->net_prefix[i][n->n_prefixes] = line;
	n->prefixes[n->n_prefixes++] = p;
	return 0;
bad:
	if (i >= 0)
		ps->ln->net_bad_prefix[i] = true;
	return -1;
}

static const char *addr_s(const struct in6_addr *a, char *buf);

/* `lm A` / `haa A`, once or more (draft §3.2: several per network): the
 * first is .lm / .haa, the next ones follow in .lm_alt / .haa_alt. */
static int net_sibling(struct parser *ps, const char *kw, struct dmm_network *n, bool lm)
{
	int i = net_index(ps, n), line = peek(ps)->line;
	int *slot = i < 0 ? NULL : lm ? &ps->ln->net_lm[i] : &ps->ln->net_haa[i];
	struct in6_addr *first = lm ? &n->lm : &n->haa;
	unsigned *more = lm ? &n->n_lm_alt : &n->n_haa_alt;
	struct in6_addr *alt = lm ? n->lm_alt : n->haa_alt;
	static const struct in6_addr none;
	struct in6_addr a;
	char as[INET6_ADDRSTRLEN];

	if ((slot != NULL && *slot == 0) || (slot == NULL && !memcmp(first, &none, sizeof(none))))
		return note_line(slot, line, want_addr(ps, kw, first));
	if (want_addr(ps, kw, &a) != 0)
		return -1;
	for (unsigned k = 0; k <= *more; k++)
		if (!memcmp(k == 0 ? first : &alt[k - 1], &a, sizeof(a))) {
			perr(ps, line, "%s: %s listed twice in network %s", kw, addr_s(&a, as),
			     n->name);
			return -1;
		}
	if (*more >= DMM_MAX_NET_LMS - 1) {
		perr(ps, line, "%s: more than %d in network %s", kw, DMM_MAX_NET_LMS, n->name);
		return -1;
	}
	alt[(*more)++] = a;
	return 0;
}

static int net_lm(struct parser *ps, const char *kw, void *obj)
{
	return net_sibling(ps, kw, obj, true);
}

static int net_haa(struct parser *ps, const char *kw, void *obj)
{
	return net_sibling(ps, kw, obj, false);
}

static const char *addr_s(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static int net_mr(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_network *n = obj;
	int line = peek(ps)->line, i = net_index(ps, n);
	struct in6_addr a;

	if (want_addr(ps, kw, &a) != 0)
		return -1;
	for (unsigned j = 0; j < n->n_mrs; j++) {
		char as[INET6_ADDRSTRLEN];
		if (memcmp(&n->mrs[j], &a, sizeof(a)) == 0) {
			perr(ps, line, "mr: %s listed twice in network %s", addr_s(&a, as), n->name);
			return -1;
		}
	}
	if (n->n_mrs >= DMM_MAX_NET_MRS) {
		perr(ps, line, "mr: more than %d MRs in network %s", DMM_MAX_NET_MRS, n->name);
		return -1;
	}
	if (i >= 0)
		ps->ln->net_mr[i][n->n_mrs] = line;
	n->mrs[n->n_mrs++] = a;
	return 0;
}

/* prefix-length N: the length of the MN prefixes its pools hand out. */
static int net_plen(struct parser *ps, const char *kw, void *obj)
{
	uint32_t v;

	if (want_u32(ps, kw, 1, 128, &v) != 0)
		return -1;
	((struct dmm_network *)obj)->mn_plen = (uint8_t)v;
	return 0;
}

static const struct directive net_tab[] = {
	{ "prefix", net_prefix, true }, { "lm", net_lm, true }, { "haa", net_haa, true },
	{ "mr", net_mr, true }, { "prefix-length", net_plen, false }, { NULL, NULL, false },
};

/* A network's name is checked with the rest of the domain map (defined
 * twice: dmm_config_check_at). */
static int top_network(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_config *c = &ps->c->core;
	struct dmm_network scratch, *n = &scratch;
	int line = peek(ps)->line, i = -1, rc;
	unsigned skipped = ps->skipped_kw;

	memset(&scratch, 0, sizeof(scratch));
	scratch.mn_plen = 64; /* the default: a /64 per MN (RFC 7421) */
	if (want_str(ps, kw, "a network name", scratch.name, sizeof(scratch.name)) != 0)
		return -1;
	if (c->n_nets >= DMM_MAX_NETS) {
		perr(ps, line, "network: more than %d networks", DMM_MAX_NETS);
	} else {
		i = (int)c->n_nets;
		ps->ln->net[i] = line;
		n = &c->nets[c->n_nets++];
	}
	*n = scratch;
	rc = parse_block(ps, "network", net_tab, n);
	/* A statement with an error was skipped to the end of its line, and
	 * others with it: what is missing may be there. */
	if (i >= 0 && ps->skipped_kw > skipped) {
		ps->ln->net_bad_prefix[i] = true;
		if (!ps->ln->net_lm[i])
			ps->ln->net_lm[i] = -line;
		if (!ps->ln->net_haa[i])
			ps->ln->net_haa[i] = -line;
	}
	return rc;
}

/* mr { ... } */
static int mr_mode(struct parser *ps, const char *kw, void *obj)
{
	static const char *const modes[] = { "query", "redirect", "none", NULL };
	struct dmm_config *c = obj;
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "query, redirect or none");
	char dym[64];

	ps->ln->ro_mode = line;
	if (!w)
		return -1;
	if (strcmp(w, "query") == 0)
		c->ro_mode = DMM_RO_QUERY;
	else if (strcmp(w, "redirect") == 0)
		c->ro_mode = DMM_RO_REDIRECT;
	else if (strcmp(w, "none") == 0)
		c->ro_mode = DMM_RO_NONE;
	else {
		perr(ps, line, "mode: '%s' is not query, redirect or none%s", w,
		     did_you_mean(w, modes, dym, sizeof(dym)));
		return -1;
	}
	return 0;
}

/* routing tunnel | locator (draft 4.3) */
static int mr_routing(struct parser *ps, const char *kw, void *obj)
{
	static const char *const ways[] = { "tunnel", "locator", NULL };
	struct dmm_config *c = obj;
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "tunnel or locator");
	char dym[64];

	if (!w)
		return -1;
	if (!ps->ln->locator)
		ps->ln->locator = line;
	if (strcmp(w, "tunnel") == 0)
		c->routing = DMM_ROUTING_TUNNEL;
	else if (strcmp(w, "locator") == 0)
		c->routing = DMM_ROUTING_LOCATOR;
	else {
		perr(ps, line, "routing: '%s' is not tunnel or locator%s", w,
		     did_you_mean(w, ways, dym, sizeof(dym)));
		return -1;
	}
	return 0;
}

/* locator PREFIX: this MR's locator prefix (routing locator) */
static int mr_locator(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_config *c = obj;
	int line = peek(ps)->line;
	struct dmm_prefix p;

	memset(&p, 0, sizeof(p));
	if (want_prefix(ps, kw, &p) != 0)
		return -1;
	ps->ln->locator = line;
	c->locator = p;
	return 0;
}

static int mr_access(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *dc = ps->c;
	int line = peek(ps)->line;
	char pat[DMMD_IFNAME_MAX];

	if (want_str(ps, kw, "an interface name pattern", pat, sizeof(pat)) != 0)
		return -1;
	if (dc->n_access >= DMMD_MAX_ACCESS) {
		perr(ps, line, "access: more than %d patterns", DMMD_MAX_ACCESS);
		return -1;
	}
	memcpy(dc->access[dc->n_access++], pat, sizeof(pat));
	return 0;
}

static int mr_lm_update(struct parser *ps, const char *kw, void *obj)
{
	return want_bool(ps, kw, &((struct dmm_config *)obj)->lm_update_on_attach);
}

static int mr_new_hoa(struct parser *ps, const char *kw, void *obj)
{
	return want_bool(ps, kw, &((struct dmm_config *)obj)->new_hoa_on_arrival);
}

static int mr_hold(struct parser *ps, const char *kw, void *obj)
{
	return want_bool(ps, kw, &((struct dmm_config *)obj)->hold_packets);
}

static int resolve_path(struct parser *ps, int line, const char *kw, const char *path,
			char *dst, size_t cap);

/* authorize FILE | authorize none */
static int mr_authorize(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "a file of MN ids, or none");

	if (!w)
		return -1;
	ps->c->authorize[0] = '\0';
	if (strcmp(w, "none") == 0)
		return 0;
	return resolve_path(ps, line, kw, w, ps->c->authorize, sizeof(ps->c->authorize));
}

static int mr_attach_on(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "first-frame or rs");

	if (!w)
		return -1;
	if (strcmp(w, "first-frame") == 0)
		ps->c->attach_on = DMMD_ATTACH_FIRST_FRAME;
	else if (strcmp(w, "rs") == 0)
		ps->c->attach_on = DMMD_ATTACH_RS;
	else {
		static const char *const ons[] = { "first-frame", "rs", NULL };
		char dym[64];
		perr(ps, line, "attach-on: '%s' is not first-frame or rs%s", w,
		     did_you_mean(w, ons, dym, sizeof(dym)));
		return -1;
	}
	return 0;
}

static int mr_router_ll(struct parser *ps, const char *kw, void *obj)
{
	static const uint8_t zero[8];
	static const uint8_t fe80[8] = { 0xfe, 0x80 };
	int line = peek(ps)->line;
	struct in6_addr a;
	char buf[INET6_ADDRSTRLEN];

	if (want_addr(ps, kw, &a) != 0)
		return -1;
	/* fe80::/64 with an interface id: the prefix the kernel routes on every
	 * link, and RFC 4861 wants a router's RA source link-local. */
	if (memcmp(a.s6_addr, fe80, 8) != 0 || memcmp(a.s6_addr + 8, zero, 8) == 0) {
		perr(ps, line, "%s: '%s' is not a link-local address (fe80::/64, not fe80::)",
		     kw, inet_ntop(AF_INET6, &a, buf, sizeof(buf)));
		return -1;
	}
	ps->c->router_ll = a;
	return 0;
}

static int mr_fixed(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_config *c = obj;
	int line = peek(ps)->line;
	struct dmm_prefix p;

	memset(&p, 0, sizeof(p)); /* padding too: configs are compared bytewise */
	if (want_prefix(ps, kw, &p) != 0)
		return -1;
	if (c->n_fixed >= DMM_MAX_NET_PREFIX) {
		perr(ps, line, "fixed-prefix: more than %d prefixes", DMM_MAX_NET_PREFIX);
		return -1;
	}
	ps->ln->fixed[c->n_fixed] = line;
	c->fixed[c->n_fixed++] = p;
	return 0;
}

static int mr_anycast(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *dc = ps->c;
	int line = peek(ps)->line;
	struct dmm_prefix p;

	memset(&p, 0, sizeof(p));
	if (want_prefix(ps, kw, &p) != 0)
		return -1;
	if (p.len == 0) {
		perr(ps, line, "anycast: ::/0 is a default route, not an aggregate");
		return -1;
	}
	if (dc->n_anycast >= DMMD_MAX_ANYCAST) {
		perr(ps, line, "anycast: more than %d prefixes", DMMD_MAX_ANYCAST);
		return -1;
	}
	dc->anycast[dc->n_anycast++] = p;
	return 0;
}

static int mr_anycast_probe(struct parser *ps, const char *kw, void *obj)
{
	return want_duration(ps, kw, false, &ps->c->anycast_probe_ms);
}

static int mr_anycast_dead(struct parser *ps, const char *kw, void *obj)
{
	return want_duration(ps, kw, false, &ps->c->anycast_dead_ms);
}

static const struct directive mr_tab[] = {
	{ "mode", mr_mode, false },
	{ "routing", mr_routing, false },
	{ "locator", mr_locator, false },
	{ "access", mr_access, true },
	{ "lm-update-on-attach", mr_lm_update, false },
	{ "new-hoa-on-arrival", mr_new_hoa, false },
	{ "hold", mr_hold, false },
	{ "attach-on", mr_attach_on, false },
	{ "authorize", mr_authorize, false },
	{ "router-link-local", mr_router_ll, false },
	{ "fixed-prefix", mr_fixed, true },
	{ "anycast", mr_anycast, true },
	{ "anycast-probe", mr_anycast_probe, false },
	{ "anycast-dead", mr_anycast_dead, false },
	{ NULL, NULL, false },
};

/* haa { pool RANGE length N mr ADDR [stateless|stateful] } */
static int haa_pool_args(struct parser *ps, const char *kw, struct dmm_pool *p)
{
	static const char *const modes[] = { "stateless", "stateful", NULL };
	uint32_t len;

	if (want_prefix(ps, kw, &p->range) != 0)
		return -1;
	if (!opt_kw(ps, "length")) {
		perr(ps, peek(ps)->line, "pool: expected 'length N' after the range");
		return -1;
	}
	if (want_u32(ps, "pool length", 1, 128, &len) != 0)
		return -1;
	p->plen = (uint8_t)len;
	if (!opt_kw(ps, "mr")) {
		perr(ps, peek(ps)->line, "pool: expected 'mr ADDRESS' after the length");
		return -1;
	}
	if (want_addr(ps, "pool mr", &p->mr) != 0)
		return -1;
	if (opt_kw(ps, "stateless"))
		p->mode = DMM_POOL_STATELESS;
	else if (!opt_kw(ps, "stateful"))
		return trailing_word(ps, kw, haa_tab, modes);
	return 0;
}

static int haa_pool(struct parser *ps, const char *kw, void *obj)
{
	struct dmm_config *c = obj;
	int line = peek(ps)->line;
	struct dmm_pool p;

	memset(&p, 0, sizeof(p)); /* padding too: configs are compared bytewise */
	p.mode = DMM_POOL_STATEFUL;
	if (haa_pool_args(ps, kw, &p) != 0) {
		ps->ln->bad_pool = true;
		return -1;
	}
	if (c->n_pools >= DMM_MAX_POOLS) {
		perr(ps, line, "pool: more than %d pools", DMM_MAX_POOLS);
		return -1;
	}
	ps->ln->pool[c->n_pools] = line;
	c->pools[c->n_pools++] = p;
	return 0;
}

static const struct directive haa_tab[] = {
	{ "pool", haa_pool, true }, { NULL, NULL, false },
};

/* lm { replicate yes|no } */
static int lm_replicate(struct parser *ps, const char *kw, void *obj)
{
	return want_bool(ps, kw, &((struct dmm_config *)obj)->lm_replicate);
}

static int parse_hostport(struct parser *ps, int line, const char *what, const char *w,
			  struct in6_addr *a, int *family, uint16_t *port, const char *or_else);

/* lm { store embedded | store redis ADDR:PORT [namespace NAME] [replicas N]
 * [timeout DURATION] } */
static int lm_store(struct parser *ps, const char *kw, void *obj)
{
	static const char *const opts[] = { "namespace", "replicas", "timeout", NULL };
	struct dmmd_conf *c = ps->c;
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "embedded or redis");

	if (!w)
		return -1;
	c->n_redis = 0;
	if (strcmp(w, "embedded") == 0)
		return 0;
	if (strcmp(w, "redis") != 0) {
		perr(ps, line, "store: '%s' is not embedded or redis", w);
		return -1;
	}
	do {
		unsigned i = c->n_redis;
		if (i == DMMD_REDIS_MAX) {
			perr(ps, line, "store redis: more than %d addresses", DMMD_REDIS_MAX);
			c->n_redis = 0;
			return -1;
		}
		if (!(w = want_word(ps, "store redis", "[IPV6]:PORT or IPV4:PORT (an address: "
				    "the event loop does not wait for DNS)")) ||
		    parse_hostport(ps, line, "store redis", w, &c->redis_addr[i],
				   &c->redis_family[i], &c->redis_port[i], "") != 0) {
			c->n_redis = 0;
			return -1;
		}
		c->n_redis++;
	} while (peek(ps)->kind == T_WORD && peek(ps)->line == line &&
		 strchr(peek(ps)->text, ':') != NULL);
	for (;;) {
		if (opt_kw(ps, "namespace")) {
			const char *ns = want_word(ps, "store redis namespace", "a name");
			if (!ns)
				return -1;
			if (strlen(ns) >= sizeof(c->redis_ns) ||
			    strspn(ns, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789-_.") != strlen(ns)) {
				perr(ps, line, "store redis namespace: '%s' is not 1 to %zu letters, "
				     "digits, '-', '_' or '.'", ns, sizeof(c->redis_ns) - 1);
				return -1;
			}
			snprintf(c->redis_ns, sizeof(c->redis_ns), "%s", ns);
		} else if (opt_kw(ps, "replicas")) {
			if (want_u32(ps, "store redis replicas", 0, 16, &c->redis_replicas) != 0)
				return -1;
		} else if (opt_kw(ps, "timeout")) {
			if (want_duration(ps, "store redis timeout", false, &c->redis_timeout_ms) != 0)
				return -1;
			if (c->redis_timeout_ms < 10 || c->redis_timeout_ms > 60000) {
				perr(ps, line, "store redis timeout: %ums is not between 10ms and 1m",
				     c->redis_timeout_ms);
				return -1;
			}
		} else {
			return trailing_word(ps, kw, lm_tab, opts);
		}
	}
}

static const struct directive lm_tab[] = {
	{ "replicate", lm_replicate, false }, { "store", lm_store, false },
	{ NULL, NULL, false },
};

/* timers { ... }: name, field offset, unit of the field. */
struct timer_def {
	const char *kw;
	size_t off;
	bool secs;
};

#define TDEF(kw, field, secs) { kw, offsetof(struct dmm_timers, field), secs }
static const struct timer_def timer_defs[] = {
	TDEF("timestamp-window", ts_window_ms, false),
	TDEF("lease", lease_lifetime_s, true),
	TDEF("binding", binding_lifetime_s, true),
	TDEF("cache", cache_lifetime_s, true),
	TDEF("handover-context", handover_ctx_ms, false),
	TDEF("hold", hold_ms, false),
	TDEF("deprecated-keep", deprecated_keep_s, true),
	TDEF("ra-lifetime", ra_lifetime_s, true),
};
#define N_TIMERS (sizeof(timer_defs) / sizeof(timer_defs[0]))

static int timer_simple(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;

	for (size_t i = 0; i < N_TIMERS; i++)
		if (strcmp(timer_defs[i].kw, kw) == 0)
			return note_line(&ps->ln->timer[timer_defs[i].off / sizeof(uint32_t)], line,
					 want_duration(ps, kw, timer_defs[i].secs,
						       (uint32_t *)((char *)obj + timer_defs[i].off)));
	return -1;
}

/* retransmit INITIAL [max MAX] [count N] */
static int timer_retransmit_args(struct parser *ps, const char *kw, struct dmm_timers *t)
{
	static const char *const opts[] = { "max", "count", NULL };

	if (want_duration(ps, kw, false, &t->retrans_initial_ms) != 0)
		return -1;
	if (opt_kw(ps, "max") && want_duration(ps, "retransmit max", false,
					       &t->retrans_max_ms) != 0)
		return -1;
	if (opt_kw(ps, "count") && want_u32(ps, "retransmit count", 0, 100,
					    &t->retrans_count) != 0)
		return -1;
	return trailing_word(ps, kw, timers_tab, opts);
}

static int timer_retransmit(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;

	return note_line(&ps->ln->timer[offsetof(struct dmm_timers, retrans_initial_ms) /
					sizeof(uint32_t)], line,
			 timer_retransmit_args(ps, kw, obj));
}

static const struct directive timers_tab[] = {
	{ "retransmit", timer_retransmit, false },
	{ "timestamp-window", timer_simple, false },
	{ "lease", timer_simple, false },
	{ "binding", timer_simple, false },
	{ "cache", timer_simple, false },
	{ "handover-context", timer_simple, false },
	{ "hold", timer_simple, false },
	{ "deprecated-keep", timer_simple, false },
	{ "ra-lifetime", timer_simple, false },
	{ NULL, NULL, false },
};

/* limits { ... } */
struct limit_def {
	const char *kw;
	size_t off;
};

#define LDEF(kw, field) { kw, offsetof(struct dmm_limits, field) }
static const struct limit_def limit_defs[] = {
	LDEF("mns", max_mns),
	LDEF("cache", max_cache),
	LDEF("handovers", max_handovers),
	LDEF("pending", max_pending),
	LDEF("bindings", max_bindings),
	LDEF("subscribers", max_subscribers),
	LDEF("leases", max_leases),
	LDEF("peers", max_peers),
	LDEF("reply-cache", reply_cache),
};
#define N_LIMITS (sizeof(limit_defs) / sizeof(limit_defs[0]))
#define LIMIT_MAX 16777216u /* tables are allocated up front: keep them sane */

static int limit_any(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;

	for (size_t i = 0; i < N_LIMITS; i++)
		if (strcmp(limit_defs[i].kw, kw) == 0)
			return note_line(&ps->ln->limit[limit_defs[i].off / sizeof(uint32_t)], line,
					 want_u32(ps, kw, 1, LIMIT_MAX,
						  (uint32_t *)((char *)obj + limit_defs[i].off)));
	return -1;
}

/* MR: attaches per access link, a burst then one per interval (0: no limit). */
static int limit_attach_burst(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;

	return note_line(&ps->ln->limit[offsetof(struct dmm_limits, attach_burst) /
					sizeof(uint32_t)], line,
			 want_u32(ps, kw, 1, 65535, &((struct dmm_limits *)obj)->attach_burst));
}

static int limit_attach_interval(struct parser *ps, const char *kw, void *obj)
{
	return want_duration(ps, kw, false, &((struct dmm_limits *)obj)->attach_interval_ms);
}

static const struct directive limits_tab[] = {
	{ "mns", limit_any, false }, { "cache", limit_any, false },
	{ "handovers", limit_any, false }, { "pending", limit_any, false },
	{ "bindings", limit_any, false }, { "subscribers", limit_any, false },
	{ "leases", limit_any, false }, { "peers", limit_any, false },
	{ "reply-cache", limit_any, false }, { "attach-burst", limit_attach_burst, false },
	{ "attach-interval", limit_attach_interval, false }, { NULL, NULL, false },
};

/* dataplane { table N rule-pref N protocol N tun NAME hold-limit N } */
static int dp_table(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *c = obj;

	if (want_u32(ps, kw, 1, 0xfffffffe, &c->dp_table) != 0)
		return -1;
	if (c->dp_table == 253 || c->dp_table == 254 || c->dp_table == 255) {
		perr(ps, ps->tok.line, "table: %u is a kernel table (default, main, local)",
		     c->dp_table);
		return -1;
	}
	return 0;
}

static int dp_rule_pref(struct parser *ps, const char *kw, void *obj)
{
	return want_u32(ps, kw, 1, 32000, &((struct dmmd_conf *)obj)->dp_rule_pref);
}

static int dp_protocol(struct parser *ps, const char *kw, void *obj)
{
	uint32_t v;

	if (want_u32(ps, kw, 5, 255, &v) != 0)
		return -1;
	((struct dmmd_conf *)obj)->dp_protocol = (uint8_t)v;
	return 0;
}

static int dp_tun(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *c = obj;

	return want_str(ps, kw, "an interface name", c->dp_tun, sizeof(c->dp_tun));
}

static int dp_hold_limit(struct parser *ps, const char *kw, void *obj)
{
	return want_u32(ps, kw, 1, 1u << 20, &((struct dmmd_conf *)obj)->dp_hold_limit);
}

/* hold-memory SIZE: every hold queue together (at least one largest packet). */
static int dp_hold_memory(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "a size");
	uint64_t v;

	if (!w)
		return -1;
	if (parse_size(w, &v) != 0) {
		perr(ps, line, "%s: '%s' is not a size (bytes, or a number with K, M or G)",
		     kw, w);
		return -1;
	}
	if (v < (128u << 10) || v > (16ull << 30)) {
		perr(ps, line, "%s: %s out of range 128K..16G", kw, w);
		return -1;
	}
	((struct dmmd_conf *)obj)->dp_hold_memory = v;
	return 0;
}

static const struct directive dp_tab[] = {
	{ "table", dp_table, false }, { "rule-pref", dp_rule_pref, false },
	{ "protocol", dp_protocol, false }, { "tun", dp_tun, false },
	{ "hold-limit", dp_hold_limit, false }, { "hold-memory", dp_hold_memory, false },
	{ NULL, NULL, false },
};

/* ---------------------------------------------------------------- top level */

static int top_node(struct parser *ps, const char *kw, void *obj)
{
	return want_str(ps, kw, "a node name", ps->c->core.name, sizeof(ps->c->core.name));
}

static int top_address(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;

	return note_line(&ps->ln->self, line, want_addr(ps, kw, &ps->c->core.self));
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
	while ((t = peek(ps))->kind == T_WORD) {
		unsigned k;
		next(ps);
		for (k = 0; names[k] && strcmp(t->text, names[k]) != 0; k++)
			;
		if (!names[k]) {
			perr(ps, t->line, "roles: unknown role '%s' (mr, lm, haa)%s", t->text,
			     did_you_mean(t->text, names, dym, sizeof(dym)));
			bad = 1;
		} else if (c->roles & bits[k]) {
			perr(ps, t->line, "roles: %s given twice", names[k]);
			bad = 1;
		}
		c->roles |= names[k] ? bits[k] : 0;
	}
	if (!bad && c->roles == 0) {
		perr(ps, t->line, "roles: expected at least one of mr, lm, haa");
		return -1;
	}
	return bad ? -1 : 0;
}

static int top_roles(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;

	return note_line(&ps->ln->roles, line, roles_args(ps));
}

static int top_local_network(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;

	return note_line(&ps->local_net_line, line,
			 want_str(ps, kw, "a network name", ps->local_net, sizeof(ps->local_net)));
}

static int resolve_path(struct parser *ps, int line, const char *kw, const char *path,
			char *dst, size_t cap)
{
	char buf[2 * DMMD_PATH_MAX];

	if (path[0] != '/' && ps->basedir)
		snprintf(buf, sizeof(buf), "%s/%s", ps->basedir, path);
	else
		snprintf(buf, sizeof(buf), "%s", path);
	return set_str(ps, line, kw, dst, cap, buf);
}

static int keys_read(const char *path, struct dmm_keyring *kr, parse_err_fn *err, void *ctx,
		     uid_t *owner);

static void key_err_fwd(void *ctx, const char *msg)
{
	struct parser *ps = ctx;

	if (ps->errors >= PARSE_MAX_ERRORS) {
		ps->stopped = true;
		return;
	}
	ps->errors++;
	if (ps->err)
		ps->err(ps->ctx, msg);
}

/* keys PATH [active ID] */
static int top_keys(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *c = ps->c;
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "a key file path");

	ps->keys_line = line;
	ps->ln->keys = -line; /* until the key file is read */
	if (!w)
		return -1;
	if (resolve_path(ps, line, kw, w, c->key_file, sizeof(c->key_file)) != 0)
		return -1;
	if (opt_kw(ps, "active")) {
		if (want_u32(ps, "keys active", 0, UINT32_MAX, &ps->active) != 0)
			return -1;
		ps->active_set = true;
	}
	memset(&c->core.keys, 0, sizeof(c->core.keys));
	ps->key_read = keys_read(c->key_file, &c->core.keys, key_err_fwd, ps,
				 &ps->key_owner) == 0;
	if (ps->key_read)
		ps->ln->keys = line;
	return 0;
}

static int top_control(struct parser *ps, const char *kw, void *obj)
{
	return want_str(ps, kw, "a socket path", ps->c->control, sizeof(ps->c->control));
}

static int top_event_log(struct parser *ps, const char *kw, void *obj)
{
	return want_str(ps, kw, "a file path", ps->c->event_log, sizeof(ps->c->event_log));
}

/* state DIR [sync] | state none */
static int top_state(struct parser *ps, const char *kw, void *obj)
{
	static const char *const sync_opt[] = { "sync", NULL };
	struct dmmd_conf *c = ps->c;
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "a directory, or none");

	if (!w)
		return -1;
	c->state_dir[0] = '\0';
	c->state_sync = false;
	if (strcmp(w, "none") == 0)
		return 0;
	if (resolve_path(ps, line, kw, w, c->state_dir, sizeof(c->state_dir)) != 0)
		return -1;
	c->state_sync = opt_kw(ps, "sync");
	return c->state_sync ? 0 : trailing_word(ps, kw, top_tab, sync_opt);
}

/* pidfile PATH: relative to the configuration file, like the key file. */
static int top_pidfile(struct parser *ps, const char *kw, void *obj)
{
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "a file path");

	if (!w)
		return -1;
	if (!w[0]) {
		perr(ps, line, "%s: empty string", kw);
		return -1;
	}
	return resolve_path(ps, line, kw, w, ps->c->pidfile, sizeof(ps->c->pidfile));
}

/* user NAME: checked at the end (the key file's owner depends on it). */
static int top_user(struct parser *ps, const char *kw, void *obj)
{
	ps->user_line = peek(ps)->line;
	return want_str(ps, kw, "a user name", ps->c->user, sizeof(ps->c->user));
}

/* [ADDR6]:PORT or ADDR4:PORT (w) into *a (IPv4 mapped), *family, *port;
 * what names the statement in errors, or_else the other values it takes
 * ("" if none). 0 or -1 after an error. */
static int parse_hostport(struct parser *ps, int line, const char *what, const char *w,
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
			perr(ps, line, "%s: '%s' is not an IPv6 address", what, host);
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
			perr(ps, line, "%s: '%s' is not an IPv4 address", what, host);
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
		perr(ps, line, "%s: port '%s' is not a number in 1..65535", what, ps_port);
		return -1;
	}
	*port = (uint16_t)n;
	return 0;
bad:
	perr(ps, line, "%s: '%s' is not [IPV6]:PORT%s IPV4:PORT%s", what, w,
	     or_else[0] ? "," : " or", or_else);
	return -1;
}

static const char *hostport_str(int family, const struct in6_addr *a, uint16_t port,
				char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", inet_ntop(AF_INET6, a, s, sizeof(s)), port);
	else
		snprintf(buf, len, "%s:%u", inet_ntop(AF_INET, &a->s6_addr[12], s, sizeof(s)),
			 port);
	return buf;
}

const char *parse_redis_str(const struct dmmd_conf *c, unsigned i, char *buf, size_t len)
{
	return hostport_str(c->redis_family[i], &c->redis_addr[i], c->redis_port[i], buf, len);
}

/* metrics [ADDR6]:PORT | ADDR4:PORT | off */
static int top_metrics(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *c = ps->c;
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "[ADDRESS]:PORT or off");

	if (!w)
		return -1;
	if (strcmp(w, "off") == 0) {
		c->metrics_family = 0;
		return 0;
	}
	return parse_hostport(ps, line, "metrics", w, &c->metrics_addr, &c->metrics_family,
			      &c->metrics_port, " or off");
}

const char *parse_metrics_str(const struct dmmd_conf *c, char *buf, size_t len)
{
	if (c->metrics_family == 0) {
		snprintf(buf, len, "off");
		return buf;
	}
	return hostport_str(c->metrics_family, &c->metrics_addr, c->metrics_port, buf, len);
}

/* signalling raw|udp|both [port N] */
static int top_signalling(struct parser *ps, const char *kw, void *obj)
{
	struct dmmd_conf *c = ps->c;
	int line = peek(ps)->line;
	const char *w = want_word(ps, kw, "raw, udp or both");
	uint32_t port;

	if (!w)
		return -1;
	if (strcmp(w, "raw") == 0)
		c->signalling = DMMD_SIG_RAW;
	else if (strcmp(w, "udp") == 0)
		c->signalling = DMMD_SIG_UDP;
	else if (strcmp(w, "both") == 0)
		c->signalling = DMMD_SIG_BOTH;
	else {
		static const char *const sigs[] = { "raw", "udp", "both", NULL };
		char dym[64];
		perr(ps, line, "signalling: '%s' is not raw, udp or both%s", w,
		     did_you_mean(w, sigs, dym, sizeof(dym)));
		return -1;
	}
	if (opt_kw(ps, "port")) {
		if (want_u32(ps, "signalling port", 1, 65535, &port) != 0)
			return -1;
		c->udp_port = (uint16_t)port;
	}
	return 0;
}

static int top_mr(struct parser *ps, const char *kw, void *obj)
{
	ps->ln->mr_block = ps->tok.line;
	return parse_block(ps, kw, mr_tab, &ps->c->core);
}

static int top_haa(struct parser *ps, const char *kw, void *obj)
{
	unsigned skipped = ps->skipped_kw;
	int rc;

	ps->ln->haa_block = ps->tok.line;
	rc = parse_block(ps, kw, haa_tab, &ps->c->core);
	if (ps->skipped_kw > skipped)
		ps->ln->bad_pool = true; /* skipped statements may have been pools */
	return rc;
}

static int top_lm(struct parser *ps, const char *kw, void *obj)
{
	return parse_block(ps, kw, lm_tab, &ps->c->core);
}

static int top_timers(struct parser *ps, const char *kw, void *obj)
{
	return parse_block(ps, kw, timers_tab, &ps->c->core.timers);
}

static int top_limits(struct parser *ps, const char *kw, void *obj)
{
	return parse_block(ps, kw, limits_tab, &ps->c->core.limits);
}

const char *const dmmd_dataplane_names[4] = { "auto", "seg6", "bpf", "tun" };

/* dataplane [auto|seg6|bpf|tun] [{ ... }]: a driver, a block, or both; the
 * driver once and the block once in a file. */
static int top_dataplane(struct parser *ps, const char *kw, void *obj)
{
	static const char *const names[] = { "auto", "seg6", "bpf", "tun", NULL };
	struct tok *t = peek(ps);
	char dym[64];

	if (t->kind == T_WORD) {
		unsigned k;
		for (k = 0; k < 4 && strcmp(t->text, dmmd_dataplane_names[k]) != 0; k++)
			;
		if (k == 4) {
			perr(ps, t->line, "dataplane: unknown driver '%s' (auto, seg6, bpf or tun)%s",
			     t->text, did_you_mean(t->text, names, dym, sizeof(dym)));
			return -1;
		}
		if (ps->dp_driver_line)
			perr(ps, t->line, "dataplane: driver given twice (first on line %d)",
			     ps->dp_driver_line);
		else
			ps->dp_driver_line = t->line;
		ps->c->dataplane = (enum dmmd_dataplane)k;
		next(ps);
		if (peek(ps)->kind != T_LBRACE)
			return 0;
	}
	if (peek(ps)->kind == T_LBRACE && ps->dp_block_line)
		perr(ps, peek(ps)->line, "dataplane {} block given twice (first on line %d)",
		     ps->dp_block_line);
	else if (peek(ps)->kind == T_LBRACE)
		ps->dp_block_line = peek(ps)->line;
	return parse_block(ps, kw, dp_tab, ps->c);
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
	{ "network", top_network, true },
	{ NULL, NULL, false },
};
#define TOP_ADDRESS 1 /* indexes in top_tab */
#define TOP_ROLES 2

static bool top_is_block(const struct directive *d)
{
	return d->fn == top_mr || d->fn == top_haa || d->fn == top_lm ||
	       d->fn == top_timers || d->fn == top_limits;
}

/* Skip everything left: the error limit is reached. */
static void skip_rest(struct parser *ps)
{
	while (next(ps)->kind != T_EOF)
		;
}

static void parse_top(struct parser *ps)
{
	for (;;) {
		struct tok *t = next(ps);
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
		const struct directive *d = t->kind == T_WORD ? find_directive(top_tab, t->text)
							      : NULL;
		snprintf(kw, sizeof(kw), "%s", t->text);
		if (!d) {
			if (t->kind == T_WORD)
				unknown_keyword(ps, line, NULL, top_tab, kw);
			else
				perr(ps, line, "unknown keyword '%s'", tok_desc(t));
			skip_statement(ps, top_tab);
			if (peek(ps)->kind == T_RBRACE)
				next(ps); /* a stray '}' at top level */
			continue;
		}
		unsigned idx = (unsigned)(d - top_tab);
		if (!d->multi && ps->top_line[idx])
			perr(ps, line, "%s%s given twice (first on line %d)", kw,
			     top_is_block(d) ? " {} block" : "", ps->top_line[idx]);
		else if (!ps->top_line[idx])
			ps->top_line[idx] = line;
		if (d->fn(ps, kw, NULL) != 0)
			skip_statement(ps, top_tab);
	}
}

/* ---------------------------------------------------------------- final checks */

static int top_line_of(const struct parser *ps, directive_fn *fn)
{
	for (const struct directive *d = top_tab; d->kw; d++)
		if (d->fn == fn)
			return ps->top_line[d - top_tab];
	return 0;
}

static void check_local_net(struct parser *ps)
{
	struct dmm_config *c = &ps->c->core;

	if (!ps->local_net[0]) {
		if (!ps->local_net_line)
			perr(ps, 0, "missing 'local-network' directive");
		return;
	}
	for (unsigned i = 0; i < c->n_nets && c->local_net < 0; i++)
		if (strcmp(c->nets[i].name, ps->local_net) == 0)
			c->local_net = (int)i;
	if (c->local_net < 0) {
		const char *names[DMM_MAX_NETS + 1];
		char dym[DMM_NAME_MAX + 32];
		for (unsigned i = 0; i < c->n_nets; i++)
			names[i] = c->nets[i].name;
		names[c->n_nets] = NULL;
		perr(ps, ps->local_net_line, "local-network: no network named '%s'%s",
		     ps->local_net, did_you_mean(ps->local_net, names, dym, sizeof(dym)));
		ps->local_net_line = -ps->local_net_line;
	}
}

/* The user exists; the key file belongs to root, to whoever parses, or to
 * the user dmmd will run as (anyone else could change the domain's keys). */
static void check_user(struct parser *ps)
{
	const struct dmmd_conf *c = ps->c;
	char name[DMMD_USER_MAX];
	uid_t uid = 0;
	gid_t gid;
	bool known = parse_user_ids(c->user, &uid, &gid, name, sizeof(name)) == 0;

	if (!known && c->user[0])
		perr(ps, ps->user_line, "user: no user '%s' on this system", c->user);
	if (!ps->key_read || ps->key_owner == 0 || ps->key_owner == geteuid() ||
	    (known && ps->key_owner == uid))
		return;
	perr(ps, ps->keys_line, "keys: %s is owned by uid %u, not by root or the user dmmd "
	     "runs as (%s); chown it", c->key_file, (unsigned)ps->key_owner,
	     known ? name : c->user[0] ? c->user : DMMD_USER_DEFAULT);
}

static void check_active_key(struct parser *ps)
{
	struct dmmd_conf *c = ps->c;
	uint32_t active = c->core.keys.keys[0].id;
	bool found = false, node = false;

	/* default: the first domain key (the file has one, keys_read checks) */
	for (unsigned i = c->core.keys.n; i-- > 0;)
		if (!c->core.keys.keys[i].bound)
			active = c->core.keys.keys[i].id;
	if (ps->active_set)
		active = ps->active;
	for (unsigned i = 0; i < c->core.keys.n; i++)
		if (c->core.keys.keys[i].id == active) {
			found = true;
			node = c->core.keys.keys[i].bound;
		}
	if (!found || node) {
		perr(ps, ps->keys_line, node ? "keys: active key %u is a node key in %s; name a "
		     "domain key" : "keys: active key %u is not in %s", active, c->key_file);
		ps->ln->keys = -ps->keys_line;
	}
	c->core.keys.active = active;
}

static void check_final(struct parser *ps)
{
	struct dmmd_conf *c = ps->c;
	int lm_block = top_line_of(ps, top_lm);

	if (!top_line_of(ps, top_node))
		perr(ps, 0, "missing 'node' directive");
	if (!ps->top_line[TOP_ADDRESS])
		perr(ps, 0, "missing 'address' directive");
	if (!ps->top_line[TOP_ROLES])
		perr(ps, 0, "missing 'roles' directive");
	check_local_net(ps);
	if (ps->ln->mr_block && !(c->core.roles & DMM_ROLE_MR) && ps->top_line[TOP_ROLES])
		perr(ps, ps->ln->mr_block, "mr block, but role mr is not enabled");
	if (ps->ln->haa_block && !(c->core.roles & DMM_ROLE_HAA) && ps->top_line[TOP_ROLES])
		perr(ps, ps->ln->haa_block, "haa block, but role haa is not enabled");
	if (lm_block && !(c->core.roles & DMM_ROLE_LM) && ps->top_line[TOP_ROLES])
		perr(ps, lm_block, "lm block, but role lm is not enabled");
	if (c->n_redis > 0 && (c->core.roles & DMM_ROLE_LM) && c->core.local_net >= 0 &&
	    (unsigned)c->core.local_net < c->core.n_nets &&
	    dmm_net_n_lms(&c->core.nets[c->core.local_net]) > 1)
		perr(ps, lm_block, "lm: store redis, but network %s lists several LMs: front ends on "
		     "one store share the network's one LM address (anycast)",
		     c->core.nets[c->core.local_net].name);
	check_user(ps);
	if (c->anycast_probe_ms < 100 || c->anycast_dead_ms <= c->anycast_probe_ms)
		perr(ps, ps->ln->mr_block, "anycast-probe (%ums) must be at least 100ms and "
		     "anycast-dead (%ums) longer", c->anycast_probe_ms, c->anycast_dead_ms);
	if (!ps->keys_line)
		perr(ps, 0, "missing 'keys' directive");
	else if (c->core.keys.n > 0)
		check_active_key(ps);
	/* Only the bpf driver translates per-host locators. */
	if ((c->core.roles & DMM_ROLE_MR) && c->core.routing == DMM_ROUTING_LOCATOR &&
	    (c->dataplane == DMMD_DP_SEG6 || c->dataplane == DMMD_DP_TUN))
		perr(ps, ps->ln->locator, "routing locator: the %s data-plane driver cannot "
		     "translate per-host locators; use dataplane bpf (or auto)",
		     dmmd_dataplane_names[c->dataplane]);
}

/* The line of a config item (struct lines), for dmm_config_check_at's
 * errors: > 0 a line, 0 none known, < 0 an item whose statement had an
 * error already (or is missing, reported as such): say nothing more. */
static int line_of(const struct parser *ps, const struct dmm_config_at *at)
{
	const struct lines *ln = ps->ln;
	unsigned i = at->i, j = at->j;
	bool net = i < DMM_MAX_NETS;

	switch (at->item) {
	case DMM_CI_ROLES: return ln->roles ? ln->roles : -1;
	case DMM_CI_SELF: return ln->self ? ln->self : -1;
	case DMM_CI_KEYS: return ln->keys ? ln->keys : -1;
	case DMM_CI_LOCAL_NET: return ps->local_net_line > 0 ? ps->local_net_line : -1;
	case DMM_CI_NET: return net ? ln->net[i] : 0;
	case DMM_CI_NET_PREFIX:
		if (net && j == DMM_CI_NONE)
			return ln->net_bad_prefix[i] ? -1 : ln->net[i];
		return net && j < DMM_MAX_NET_PREFIX ? ln->net_prefix[i][j] : 0;
	case DMM_CI_NET_LM: return net ? (ln->net_lm[i] ? ln->net_lm[i] : ln->net[i]) : 0;
	case DMM_CI_NET_HAA: return net ? (ln->net_haa[i] ? ln->net_haa[i] : ln->net[i]) : 0;
	case DMM_CI_NET_MR: return net && j < DMM_MAX_NET_MRS ? ln->net_mr[i][j] : 0;
	case DMM_CI_POOL:
		if (i == DMM_CI_NONE)
			return ln->bad_pool ? -1 : ln->haa_block;
		return i < DMM_MAX_POOLS ? ln->pool[i] : 0;
	case DMM_CI_FIXED: return i < DMM_MAX_NET_PREFIX ? ln->fixed[i] : ln->mr_block;
	case DMM_CI_RO_MODE: return ln->ro_mode;
	case DMM_CI_LOCATOR: return ln->locator ? ln->locator : ln->mr_block;
	case DMM_CI_TIMER: return i / 4 < N_TIMER_SLOTS ? ln->timer[i / 4] : 0;
	case DMM_CI_LIMIT: return i / 4 < N_LIMIT_SLOTS ? ln->limit[i / 4] : 0;
	default: return 0;
	}
}

/* A problem dmm_config_check_at found, at the line of its item; " (line N)"
 * names the other item of a conflict. */
static void check_err_at(void *ctx, const struct dmm_config_at *at,
			 const struct dmm_config_at *other, const char *msg)
{
	struct parser *ps = ctx;
	int line = line_of(ps, at), oline = other ? line_of(ps, other) : 0;

	if (line < 0 || (other && oline < 0))
		return;
	if (oline > 0 && oline != line)
		perr(ps, line, "%s (line %d)", msg, oline);
	else
		perr(ps, line, "%s", msg);
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
		check_final(&ps);
	if (!ps.stopped)
		dmm_config_check_at(&c->core, check_err_at, &ps);
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

/* ---------------------------------------------------------------- key file */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static void key_complain(parse_err_fn *err, void *ctx, const char *path, int line,
			 const char *msg)
{
	char out[DMMD_PATH_MAX + 200];

	if (line > 0)
		snprintf(out, sizeof(out), "%s:%d: %s", path, line, msg);
	else
		snprintf(out, sizeof(out), "%s: %s", path, msg);
	if (err)
		err(ctx, out);
}

/* One "ID HEX64 [node ADDRESS]" line; returns 0 or an error message. */
static const char *key_line(char *s, struct dmm_keyring *kr)
{
	uint8_t key[DMM_KEY_LEN];
	unsigned long long id;
	struct in6_addr node;
	bool bound = false;
	char *hex, *end;
	int rc;

	errno = 0;
	id = strtoull(s, &end, 10);
	if (end == s || !isspace((unsigned char)*end) || errno || id > UINT32_MAX)
		return "expected 'ID HEX' (a key id, then 64 hex digits)";
	for (hex = end; isspace((unsigned char)*hex); hex++)
		;
	for (end = hex; *end && !isspace((unsigned char)*end); end++)
		;
	if (end - hex != 2 * DMM_KEY_LEN)
		return "key must be exactly 64 hex digits (32 bytes)";
	for (unsigned i = 0; i < DMM_KEY_LEN; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return "key has a character that is not a hex digit";
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	while (isspace((unsigned char)*end))
		end++;
	if (strncmp(end, "node", 4) == 0 && isspace((unsigned char)end[4])) {
		char *a = end + 4, *ae;
		while (isspace((unsigned char)*a))
			a++;
		for (ae = a; *ae && !isspace((unsigned char)*ae); ae++)
			;
		if (*ae)
			*ae++ = '\0';
		if (inet_pton(AF_INET6, a, &node) != 1)
			return "expected an IPv6 address after 'node'";
		bound = true;
		for (end = ae; isspace((unsigned char)*end); end++)
			;
	}
	if (*end)
		return "extra text after the key";
	rc = dmm_keyring_add(kr, (uint32_t)id, key);
	explicit_bzero(key, sizeof(key));
	if (rc == DMM_E_FULL)
		return "too many keys (at most 64)";
	if (rc != 0)
		return "key id given twice";
	if (bound)
		dmm_keyring_bind(kr, (uint32_t)id, &node);
	return NULL;
}

/* The key file, opened without following a symbolic link in its last
 * component: a link could point the daemon at any file root can read. */
static FILE *keys_open(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, st) != 0 || !(f = fdopen(fd, "r"))) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	return f;
}

static int keys_read(const char *path, struct dmm_keyring *kr, parse_err_fn *err, void *ctx,
		     uid_t *owner)
{
	struct stat st;
	char line[512];
	int errors = 0, lineno = 0;
	FILE *f = keys_open(path, &st);

	if (!f) {
		key_complain(err, ctx, path, 0, errno == ELOOP
			     ? "key file is a symbolic link; name the file itself"
			     : strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		key_complain(err, ctx, path, 0, S_ISREG(st.st_mode)
			     ? "key file is accessible by group or others; chmod 600 it"
			     : "key file is not a regular file");
		fclose(f);
		return 1;
	}
	*owner = st.st_uid;
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *hash = strchr(line, '#');
		lineno++;
		if (hash)
			*hash = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			continue;
		const char *msg = key_line(s, kr);
		if (msg) {
			key_complain(err, ctx, path, lineno, msg);
			errors++;
		}
	}
	fclose(f);
	explicit_bzero(line, sizeof(line));
	if (errors == 0 && kr->n == 0) {
		key_complain(err, ctx, path, 0, "no key in the key file");
		errors++;
	} else if (errors == 0) {
		bool domain = false;
		for (unsigned i = 0; i < kr->n; i++)
			domain |= !kr->keys[i].bound;
		if (!domain) {
			key_complain(err, ctx, path, 0, "no domain key (a key without 'node'): "
				     "MRs seal what they send each other with it");
			errors++;
		}
	}
	return errors;
}

int parse_keys_file(const char *path, struct dmm_keyring *kr, parse_err_fn *err, void *ctx)
{
	uid_t owner;

	return keys_read(path, kr, err, ctx, &owner);
}

/* ---------------------------------------------------------------- users, sizes */

int parse_user_ids(const char *user, uid_t *uid, gid_t *gid, char *name, size_t len)
{
	static const char *const dflt[] = { DMMD_USER_DEFAULT, DMMD_USER_FALLBACK };
	const struct passwd *pw = NULL;

	if (user[0])
		pw = getpwnam(user);
	for (size_t i = 0; !user[0] && !pw && i < sizeof(dflt) / sizeof(dflt[0]); i++)
		pw = getpwnam(dflt[i]);
	if (!pw)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	snprintf(name, len, "%s", pw->pw_name);
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	static const char units[] = "KMG";
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || x > (1ull << 40))
		return -1;
	if (*end && (end[1] || !strchr(units, *end)))
		return -1;
	for (const char *u = units; *end && *u; u++) {
		x <<= 10;
		if (*u == *end)
			break;
	}
	*bytes = x;
	return 0;
}

const char *parse_size_str(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "GMK";

	for (int i = 0; i < 3; i++) {
		uint64_t unit = 1ull << (10 * (3 - i));
		if (bytes != 0 && bytes % unit == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(bytes / unit), units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)bytes);
	return buf;
}

/* ---------------------------------------------------------------- printing */

static void print_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void print_head(FILE *f, const struct dmmd_conf *c)
{
	const struct dmm_config *k = &c->core;
	static const char *sig[] = { "?", "raw", "udp", "both" };
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "node %s\naddress %s\nroles", k->name, addr_s(&k->self, a));
	if (k->roles & DMM_ROLE_MR)
		fputs(" mr", f);
	if (k->roles & DMM_ROLE_LM)
		fputs(" lm", f);
	if (k->roles & DMM_ROLE_HAA)
		fputs(" haa", f);
	fputc('\n', f);
	if (k->local_net >= 0 && (unsigned)k->local_net < k->n_nets)
		fprintf(f, "local-network %s\n", k->nets[k->local_net].name);
	fputs("keys ", f);
	print_str(f, c->key_file);
	fprintf(f, " active %u\ncontrol ", k->keys.active);
	print_str(f, c->control);
	fputc('\n', f);
	if (c->event_log[0]) {
		fputs("event-log ", f);
		print_str(f, c->event_log);
		fputc('\n', f);
	}
	fprintf(f, "signalling %s port %u\n", sig[c->signalling & 3], c->udp_port);
	if (c->user[0]) {
		fputs("user ", f);
		print_str(f, c->user);
		fputc('\n', f);
	}
	if (c->state_dir[0]) {
		fputs("state ", f);
		print_str(f, c->state_dir);
		fputs(c->state_sync ? " sync\n" : "\n", f);
	}
	if (c->metrics_family) {
		char m[INET6_ADDRSTRLEN + 10];
		fprintf(f, "metrics %s\n", parse_metrics_str(c, m, sizeof(m)));
	}
	if (c->pidfile[0]) {
		fputs("pidfile ", f);
		print_str(f, c->pidfile);
		fputc('\n', f);
	}
}

static void print_nets(FILE *f, const struct dmm_config *k)
{
	char a[INET6_ADDRSTRLEN], p[DMM_PREFIX_STRLEN];

	for (unsigned i = 0; i < k->n_nets; i++) {
		const struct dmm_network *n = &k->nets[i];
		fprintf(f, "\nnetwork %s {\n", n->name);
		for (unsigned j = 0; j < n->n_prefixes; j++)
			fprintf(f, "\tprefix %s\n", dmm_prefix_str(&n->prefixes[j], p, sizeof(p)));
		for (unsigned j = 0; j < dmm_net_n_lms(n); j++)
			fprintf(f, "\tlm %s\n", addr_s(dmm_net_lm(n, j), a));
		for (unsigned j = 0; j < dmm_net_n_haas(n); j++)
			fprintf(f, "\thaa %s\n", addr_s(dmm_net_haa(n, j), a));
		for (unsigned j = 0; j < n->n_mrs; j++)
			fprintf(f, "\tmr %s\n", addr_s(&n->mrs[j], a));
		if (n->mn_plen != 0 && n->mn_plen != 64) /* 64: the default */
			fprintf(f, "\tprefix-length %u\n", n->mn_plen);
		fputs("}\n", f);
	}
}

static void print_roles(FILE *f, const struct dmmd_conf *c)
{
	const struct dmm_config *k = &c->core;
	static const char *mode[] = { "query", "redirect", "none" };
	char a[INET6_ADDRSTRLEN], p[DMM_PREFIX_STRLEN];

	if (k->roles & DMM_ROLE_MR) {
		fprintf(f, "\nmr {\n\tmode %s\n", mode[k->ro_mode % 3]);
		fprintf(f, "\trouting %s\n", k->routing == DMM_ROUTING_LOCATOR ? "locator" : "tunnel");
		if (k->locator.len)
			fprintf(f, "\tlocator %s\n", dmm_prefix_str(&k->locator, p, sizeof(p)));
		for (unsigned i = 0; i < c->n_access; i++) {
			fputs("\taccess ", f);
			print_str(f, c->access[i]);
			fputc('\n', f);
		}
		fprintf(f, "\tlm-update-on-attach %s\n\tnew-hoa-on-arrival %s\n\thold %s\n",
			k->lm_update_on_attach ? "yes" : "no",
			k->new_hoa_on_arrival ? "yes" : "no", k->hold_packets ? "yes" : "no");
		fprintf(f, "\tattach-on %s\n",
			c->attach_on == DMMD_ATTACH_RS ? "rs" : "first-frame");
		fprintf(f, "\trouter-link-local %s\n", addr_s(&c->router_ll, a));
		if (c->authorize[0]) {
			fputs("\tauthorize ", f);
			print_str(f, c->authorize);
			fputc('\n', f);
		}
		for (unsigned i = 0; i < k->n_fixed; i++)
			fprintf(f, "\tfixed-prefix %s\n", dmm_prefix_str(&k->fixed[i], p, sizeof(p)));
		for (unsigned i = 0; i < c->n_anycast; i++)
			fprintf(f, "\tanycast %s\n", dmm_prefix_str(&c->anycast[i], p, sizeof(p)));
		if (c->n_anycast > 0)
			fprintf(f, "\tanycast-probe %s\n\tanycast-dead %s\n",
				parse_duration_str(c->anycast_probe_ms, a, sizeof(a)),
				parse_duration_str(c->anycast_dead_ms, p, sizeof(p)));
		fputs("}\n", f);
	}
	if (k->roles & DMM_ROLE_LM) {
		fprintf(f, "\nlm {\n\treplicate %s\n", k->lm_replicate ? "yes" : "no");
		if (c->n_redis) {
			fputs("\tstore redis", f);
			for (unsigned i = 0; i < c->n_redis; i++)
				fprintf(f, " %s", parse_redis_str(c, i, a, sizeof(a)));
			fprintf(f, " namespace %s replicas %u timeout %s\n", c->redis_ns,
				c->redis_replicas,
				parse_duration_str(c->redis_timeout_ms, p, sizeof(p)));
		} else
			fputs("\tstore embedded\n", f);
		fputs("}\n", f);
	}
	if (k->roles & DMM_ROLE_HAA) {
		fputs("\nhaa {\n", f);
		for (unsigned i = 0; i < k->n_pools; i++) {
			const struct dmm_pool *pl = &k->pools[i];
			fprintf(f, "\tpool %s length %u mr %s %s\n",
				dmm_prefix_str(&pl->range, p, sizeof(p)), pl->plen,
				addr_s(&pl->mr, a),
				pl->mode == DMM_POOL_STATELESS ? "stateless" : "stateful");
		}
		fputs("}\n", f);
	}
}

static void print_tuning(FILE *f, const struct dmmd_conf *c)
{
	const struct dmm_timers *t = &c->core.timers;
	char d1[32], d2[32];

	fprintf(f, "\ntimers {\n\tretransmit %s max %s count %u\n",
		parse_duration_str(t->retrans_initial_ms, d1, sizeof(d1)),
		parse_duration_str(t->retrans_max_ms, d2, sizeof(d2)), t->retrans_count);
	for (size_t i = 0; i < N_TIMERS; i++) {
		uint32_t v = *(const uint32_t *)((const char *)t + timer_defs[i].off);
		fprintf(f, "\t%s %s\n", timer_defs[i].kw, parse_duration_str(
				(uint64_t)v * (timer_defs[i].secs ? 1000 : 1), d1, sizeof(d1)));
	}
	fputs("}\n\nlimits {\n", f);
	for (size_t i = 0; i < N_LIMITS; i++)
		fprintf(f, "\t%s %u\n", limit_defs[i].kw,
			*(const uint32_t *)((const char *)&c->core.limits + limit_defs[i].off));
	fprintf(f, "\tattach-burst %u\n\tattach-interval %s\n", c->core.limits.attach_burst,
		parse_duration_str(c->core.limits.attach_interval_ms, d1, sizeof(d1)));
	fprintf(f, "}\n\ndataplane %s {\n\ttable %u\n\trule-pref %u\n\tprotocol %u\n\ttun ",
		dmmd_dataplane_names[c->dataplane & 3], c->dp_table, c->dp_rule_pref,
		c->dp_protocol);
	print_str(f, c->dp_tun);
	fprintf(f, "\n\thold-limit %u\n", c->dp_hold_limit);
	/* only when set: the default printed would change every -nv output */
	if (c->dp_hold_memory != DMMD_HOLD_MEMORY_DEFAULT)
		fprintf(f, "\thold-memory %s\n", parse_size_str(c->dp_hold_memory, d1, sizeof(d1)));
	fputs("}\n", f);
}

void parse_conf_print(FILE *f, const struct dmmd_conf *c)
{
	print_head(f, c);
	print_nets(f, &c->core);
	print_roles(f, c);
	print_tuning(f, c);
}
