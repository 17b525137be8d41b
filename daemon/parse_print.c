/* dmmd: the normalized configuration (dmmd -n): every setting in a fixed
 * order, which parses back to the same struct; and the host:port values
 * as written back (metrics, store redis). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "parse_int.h"

/* ---------------------------------------------------------------- host:port */

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

const char *parse_metrics_str(const struct dmmd_conf *c, char *buf, size_t len)
{
	if (c->metrics_family == 0) {
		snprintf(buf, len, "off");
		return buf;
	}
	return hostport_str(c->metrics_family, &c->metrics_addr, c->metrics_port, buf, len);
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

	fprintf(f, "node %s\naddress %s\nroles", k->name, cf_addr_s(&k->self, a));
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
			fprintf(f, "\tlm %s\n", cf_addr_s(dmm_net_lm(n, j), a));
		for (unsigned j = 0; j < dmm_net_n_haas(n); j++)
			fprintf(f, "\thaa %s\n", cf_addr_s(dmm_net_haa(n, j), a));
		for (unsigned j = 0; j < n->n_mrs; j++)
			fprintf(f, "\tmr %s\n", cf_addr_s(&n->mrs[j], a));
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
		fprintf(f, "\trouter-link-local %s\n", cf_addr_s(&c->router_ll, a));
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
				cf_addr_s(&pl->mr, a),
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
	for (size_t i = 0; i < cf_n_timer_defs; i++) {
		uint32_t v = *(const uint32_t *)((const char *)t + cf_timer_defs[i].off);
		fprintf(f, "\t%s %s\n", cf_timer_defs[i].kw, parse_duration_str(
				(uint64_t)v * (cf_timer_defs[i].secs ? 1000 : 1), d1, sizeof(d1)));
	}
	fputs("}\n\nlimits {\n", f);
	for (size_t i = 0; i < cf_n_limit_defs; i++)
		fprintf(f, "\t%s %u\n", cf_limit_defs[i].kw,
			*(const uint32_t *)((const char *)&c->core.limits + cf_limit_defs[i].off));
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
