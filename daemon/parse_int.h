/* dmmd: the configuration parser's own header, shared by its files and by
 * no one else (the unit tests excepted: PARSE_MAX_ERRORS). The public one
 * is parse.h.
 *
 *   parse.c         the skeleton: blocks of directives, the top level, the
 *                   entry points (parse_conf_text, parse_conf_file)
 *   parse_lex.c     errors, suggestions, the lexer, the value readers
 *   parse_blocks.c  the grammar of each block: network, mr, haa, lm,
 *                   timers, limits, dataplane
 *   parse_check.c   the checks that need the whole file, and the lines of
 *                   dmm_config_check_at's findings
 *   parse_keys.c    the key file, and the user dmmd runs as
 *   parse_print.c   the normalized printer (dmmd -n)
 * What the files share is named cf_* (dmmd links them with everything
 * else); what one file uses alone stays static there. */
#ifndef DMMD_PARSE_INT_H
#define DMMD_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

typedef int directive_fn(struct parser *ps, const char *kw, void *obj);

/* A keyword of a block and its parser; multi: it may be given more than
 * once (each adds an entry), else a second one is an error. */
struct directive {
	const char *kw;
	directive_fn *fn;
	bool multi;
};

#define MAX_DIRECTIVES 24 /* per table */

/* ---- parse_lex.c */

/* "name:line: message" to the error callback (line 0: no line); past
 * PARSE_MAX_ERRORS only ps->stopped is set. */
void cf_perr(struct parser *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error already "name:line: message" (a parse_err_fn, ctx the parser:
 * the key file's errors come this way), counted as cf_perr counts. */
void cf_report(void *ctx, const char *msg);
/* "; did you mean 'X'?" (the closest of words, NULL-terminated) in buf, or "". */
const char *cf_did_you_mean(const char *w, const char *const *words, char *buf, size_t len);
/* The current token (read on first use), and the same consumed. */
struct tok *cf_peek(struct parser *ps);
struct tok *cf_next(struct parser *ps);
/* tab's entry for keyword kw, NULL if none. */
const struct directive *cf_find_directive(const struct directive *tab, const char *kw);
/* Past a broken statement (see parse_lex.c). */
void cf_skip_statement(struct parser *ps, const struct directive *tab);
/* A token as an error message shows it. */
const char *cf_tok_desc(const struct tok *t);
/* The next token as a word, else "KW: expected WHAT" and NULL. */
const char *cf_want_word(struct parser *ps, const char *kw, const char *what);
/* The next word as each kind of value into *v: 0, or -1 after an error
 * naming kw. want_duration: in ms, or in whole seconds if secs. */
int cf_want_addr(struct parser *ps, const char *kw, struct in6_addr *a);
int cf_want_prefix(struct parser *ps, const char *kw, struct dmm_prefix *p);
int cf_want_u32(struct parser *ps, const char *kw, uint32_t min, uint32_t max, uint32_t *v);
int cf_want_bool(struct parser *ps, const char *kw, bool *v);
int cf_want_str(struct parser *ps, const char *kw, const char *what, char *dst, size_t cap);
int cf_want_duration(struct parser *ps, const char *kw, bool secs, uint32_t *v);
/* The next word, one of words (NULL-terminated; desc lists them: "a, b or
 * c"): its index into *i. Else "KW: 'W' is not DESC" and the closest of
 * words, -1. */
int cf_want_choice(struct parser *ps, const char *kw, const char *const *words,
		   const char *desc, unsigned *i);
/* s into the fixed field dst (cap bytes, zero-filled): 0 or -1 if too long. */
int cf_set_str(struct parser *ps, int line, const char *kw, char *dst, size_t cap,
	       const char *s);
/* The optional keyword kw is next: consumed, true. */
bool cf_opt_kw(struct parser *ps, const char *kw);
/* line into *slot (if any) when rc is 0, else -line; returns rc. */
int cf_note_line(int *slot, int line, int rc);
/* a as text in buf (INET6_ADDRSTRLEN bytes). */
const char *cf_addr_s(const struct in6_addr *a, char *buf);

/* ---- parse.c */

/* "{ directive... }" of tab, each applied to obj. 0, or -1 without a {. */
int cf_parse_block(struct parser *ps, const char *what, const struct directive *tab, void *obj);
/* Anything after a statement's arguments that starts no statement of tab
 * is an error naming options (NULL-terminated). 0 or -1. */
int cf_trailing_word(struct parser *ps, const char *kw, const struct directive *tab,
		     const char *const *options);
/* path, relative to the configuration file's directory, into dst. */
int cf_resolve_path(struct parser *ps, int line, const char *kw, const char *path, char *dst,
		    size_t cap);
/* [ADDR6]:PORT or ADDR4:PORT (see parse.c). 0 or -1. */
int cf_hostport(struct parser *ps, int line, const char *what, const char *w,
		struct in6_addr *a, int *family, uint16_t *port, const char *or_else);
/* The first line of top-level directive kw, 0 if not given. */
int cf_top_line(const struct parser *ps, const char *kw);

/* ---- parse_blocks.c */

extern const struct directive cf_net_tab[], cf_mr_tab[], cf_haa_tab[], cf_lm_tab[],
	cf_timers_tab[], cf_limits_tab[], cf_dp_tab[];
/* network NAME { ... }, a top-level directive. */
int cf_top_network(struct parser *ps, const char *kw, void *obj);

/* timers { ... }: name, field offset, unit of the field. */
struct timer_def {
	const char *kw;
	size_t off;
	bool secs;
};
/* limits { ... } */
struct limit_def {
	const char *kw;
	size_t off;
};
/* The plain timers and limits, in the printer's order. */
extern const struct timer_def cf_timer_defs[];
extern const size_t cf_n_timer_defs;
extern const struct limit_def cf_limit_defs[];
extern const size_t cf_n_limit_defs;

/* ---- parse_check.c */

/* The checks that need the whole file (ps->c filled). */
void cf_check_final(struct parser *ps);
/* dmm_config_check_at's callback (ctx: the parser): each problem at the
 * line of its object. */
void cf_check_err_at(void *ctx, const struct dmm_config_at *at,
		     const struct dmm_config_at *other, const char *msg);

/* ---- parse_keys.c */

/* parse_keys_file, also giving the file's owner. The number of errors. */
int cf_keys_read(const char *path, struct dmm_keyring *kr, parse_err_fn *err, void *ctx,
		 uid_t *owner);

#endif
