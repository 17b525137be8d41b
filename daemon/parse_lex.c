/* dmmd: the configuration parser's reader (dmmd.conf(5)): errors as
 * "file:line: message", "did you mean" suggestions, the lexer (words,
 * quoted strings, braces, statement ends, comments), recovery past a
 * broken statement, and the readers of every kind of value (addresses,
 * prefixes, numbers, yes/no, strings, durations, sizes). Knows no
 * directive: the grammar is in parse.c and parse_blocks.c. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"

/* ---------------------------------------------------------------- errors */

/* ---------------------------------------------------------------- errors */

void cf_perr(struct parser *ps, int line, const char *fmt, ...)
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
	cf_report(ps, out);
}

void cf_report(void *ctx, const char *msg)
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
const char *cf_did_you_mean(const char *w, const char *const *words, char *buf,
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
		cf_perr(ps, t->line, "unterminated quoted string");
	if (n + 1 >= sizeof(t->text))
		cf_perr(ps, t->line, "string too long");
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

struct tok *cf_peek(struct parser *ps)
{
	if (!ps->have_tok) {
		lex(ps, &ps->tok);
		ps->have_tok = true;
	}
	return &ps->tok;
}

struct tok *cf_next(struct parser *ps)
{
	struct tok *t = cf_peek(ps);

	ps->have_tok = false;
	return t;
}


const struct directive *cf_find_directive(const struct directive *tab, const char *kw)
{
	for (; tab->kw; tab++)
		if (strcmp(tab->kw, kw) == 0)
			return tab;
	return NULL;
}


/* Skip the rest of a broken statement: up to the end of the line, or the
 * '}' closing the enclosing block (left for the caller), or past a whole
 * braced block the statement opened. Words skipped that are keywords of
 * the block (tab) are counted in ps->skipped_kw: statements lost with it. */
void cf_skip_statement(struct parser *ps, const struct directive *tab)
{
	int depth = 0;

	for (;;) {
		struct tok *t = cf_peek(ps);
		if (t->kind == T_EOF)
			return;
		if (t->kind == T_RBRACE && depth == 0)
			return;
		if (t->kind == T_WORD && depth == 0 && cf_find_directive(tab, t->text))
			ps->skipped_kw++;
		cf_next(ps);
		if (t->kind == T_LBRACE)
			depth++;
		else if (t->kind == T_RBRACE && --depth == 0)
			return;
		else if (t->kind == T_END && depth == 0)
			return;
	}
}

/* ---------------------------------------------------------------- values */

const char *cf_tok_desc(const struct tok *t)
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
const char *cf_want_word(struct parser *ps, const char *kw, const char *what)
{
	struct tok *t = cf_peek(ps);

	if (t->kind != T_WORD) {
		cf_perr(ps, t->line, "%s: expected %s, got %s", kw, what, cf_tok_desc(t));
		return NULL;
	}
	cf_next(ps);
	return t->text;
}

int cf_want_addr(struct parser *ps, const char *kw, struct in6_addr *a)
{
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "an IPv6 address");

	if (!w)
		return -1;
	if (inet_pton(AF_INET6, w, a) != 1) {
		cf_perr(ps, line, "%s: '%s' is not an IPv6 address", kw, w);
		return -1;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(a)) {
		cf_perr(ps, line, "%s: '%s' is the unspecified address", kw, w);
		return -1;
	}
	return 0;
}

int cf_want_prefix(struct parser *ps, const char *kw, struct dmm_prefix *p)
{
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "an IPv6 prefix");
	struct in6_addr raw;
	char buf[INET6_ADDRSTRLEN];

	if (!w)
		return -1;
	if (!strchr(w, '/') || dmm_prefix_parse(w, p) != 0) {
		cf_perr(ps, line, "%s: '%s' is not an IPv6 prefix (address/length)", kw, w);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)(strchr(w, '/') - w), w);
	if (inet_pton(AF_INET6, buf, &raw) == 1 && memcmp(&raw, &p->addr, sizeof(raw))) {
		cf_perr(ps, line, "%s: prefix '%s' has host bits set", kw, w);
		return -1;
	}
	return 0;
}

int cf_want_u32(struct parser *ps, const char *kw, uint32_t min, uint32_t max,
		uint32_t *v)
{
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "a number");
	unsigned long long x;
	char *end;

	if (!w)
		return -1;
	errno = 0;
	x = strtoull(w, &end, 10);
	if (!isdigit((unsigned char)w[0]) || *end || errno) {
		cf_perr(ps, line, "%s: '%s' is not a number", kw, w);
		return -1;
	}
	if (x < min || x > max) {
		cf_perr(ps, line, "%s: %s out of range %u..%u", kw, w, min, max);
		return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

int cf_want_bool(struct parser *ps, const char *kw, bool *v)
{
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "yes or no");

	if (!w)
		return -1;
	if (strcmp(w, "yes") == 0)
		*v = true;
	else if (strcmp(w, "no") == 0)
		*v = false;
	else {
		static const char *const yn[] = { "yes", "no", NULL };
		char dym[64];
		cf_perr(ps, line, "%s: expected yes or no, got '%s'%s", kw, w,
			cf_did_you_mean(w, yn, dym, sizeof(dym)));
		return -1;
	}
	return 0;
}

int cf_want_choice(struct parser *ps, const char *kw, const char *const *words,
		   const char *desc, unsigned *i)
{
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, desc);
	char dym[64];

	if (!w)
		return -1;
	for (*i = 0; words[*i]; (*i)++)
		if (strcmp(w, words[*i]) == 0)
			return 0;
	cf_perr(ps, line, "%s: '%s' is not %s%s", kw, w, desc,
		cf_did_you_mean(w, words, dym, sizeof(dym)));
	return -1;
}

/* Copy s into a fixed field, zero-filled (the round trip compares bytes). */
int cf_set_str(struct parser *ps, int line, const char *kw, char *dst, size_t cap,
	       const char *s)
{
	if (strlen(s) >= cap) {
		cf_perr(ps, line, "%s: '%s' longer than %zu characters", kw, s, cap - 1);
		return -1;
	}
	memset(dst, 0, cap);
	memcpy(dst, s, strlen(s));
	return 0;
}

int cf_want_str(struct parser *ps, const char *kw, const char *what, char *dst,
		size_t cap)
{
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, what);

	if (!w)
		return -1;
	if (w[0] == '\0') {
		cf_perr(ps, line, "%s: empty string", kw);
		return -1;
	}
	return cf_set_str(ps, line, kw, dst, cap, w);
}

/* The decimal number s starts with into *x, *end past it: 0, or -1 if s
 * does not start with a digit or the number is over max. */
static int lead_number(const char *s, unsigned long long max, unsigned long long *x,
		       char **end)
{
	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*x = strtoull(s, end, 10);
	return errno || *x > max ? -1 : 0;
}

int parse_duration(const char *s, uint64_t *ms)
{
	static const struct { const char *u; uint64_t mul; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	unsigned long long x;
	char *end;

	if (lead_number(s, UINT32_MAX, &x, &end) != 0)
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
int cf_want_duration(struct parser *ps, const char *kw, bool secs, uint32_t *v)
{
	int line = cf_peek(ps)->line;
	const char *w = cf_want_word(ps, kw, "a duration");
	uint64_t ms;

	if (!w)
		return -1;
	if (parse_duration(w, &ms) != 0) {
		cf_perr(ps, line, "%s: '%s' is not a duration (number with ms, s, m or h)",
			kw, w);
		return -1;
	}
	if (secs && ms % 1000) {
		cf_perr(ps, line, "%s: %s is not a whole number of seconds", kw, w);
		return -1;
	}
	if ((secs ? ms / 1000 : ms) > UINT32_MAX) {
		cf_perr(ps, line, "%s: %s is too long", kw, w);
		return -1;
	}
	*v = (uint32_t)(secs ? ms / 1000 : ms);
	return 0;
}

/* An optional "KEYWORD value" after the mandatory arguments. */
bool cf_opt_kw(struct parser *ps, const char *kw)
{
	struct tok *t = cf_peek(ps);

	if (t->kind == T_WORD && strcmp(t->text, kw) == 0) {
		cf_next(ps);
		return true;
	}
	return false;
}

int parse_size(const char *s, uint64_t *bytes)
{
	static const char units[] = "KMG";
	unsigned long long x;
	char *end;

	if (lead_number(s, 1ull << 40, &x, &end) != 0)
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

/* line into *slot if the statement parsed (rc 0), else -line. */
int cf_note_line(int *slot, int line, int rc)
{
	if (slot)
		*slot = rc == 0 ? line : -line;
	return rc;
}

const char *cf_addr_s(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}
