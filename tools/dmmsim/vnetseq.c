/* vnetseq: run a dmmsim trace ("time mn mr", "time mn -", "time mn send DST")
 * on the figure-1 virtual network of the scenario tests (tests/lib/vnet.c,
 * tests/lib/fig1.c) and print every delivered message as "t type from to",
 * the format of dmmsim --msglog. tests/sh/sim_fig1.sh compares the two.
 *   vnetseq [--mode query|redirect|none] [--new-hoa] [--no-hold] --time S TRACE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fig1.h"

#define MAX_MN 256

static struct vnet *vn;
static int at[MAX_MN]; /* node index of the MR an MN is attached to, -1 */
/* its last known preferred HoA: a correspondent keeps sending to it while
 * the MN is between two MRs (dmmsim does the same) */
static struct in6_addr last[MAX_MN];
static bool known[MAX_MN];

static bool mn_hoa(unsigned mn, struct in6_addr *a)
{
	struct dmm_mnid id = vnet_mnid(mn);
	struct dmm_mn_view v;

	if (at[mn] >= 0 && vnet_mn(vn, vnet_name(vn, at[mn]), &id, &v))
		for (unsigned i = 0; i < v.n_hnp; i++)
			if (!v.deprecated[i]) {
				last[mn] = vnet_host(&v.hnp[i], 1);
				known[mn] = true;
				break;
			}
	*a = last[mn];
	return known[mn];
}

static void fail(const char *what, unsigned line)
{
	fprintf(stderr, "vnetseq: line %u: %s\n", line, what);
	exit(2);
}

int main(int argc, char **argv)
{
	struct fig1_opts o;
	const char *path = NULL;
	double run_s = 0;
	char line[256];
	unsigned lineno = 0;
	FILE *f;
	int k;

	fig1_defaults(&o);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			const char *m = argv[++i];
			o.ro_mode = !strcmp(m, "redirect") ? DMM_RO_REDIRECT :
				    !strcmp(m, "none") ? DMM_RO_NONE : DMM_RO_QUERY;
		} else if (!strcmp(argv[i], "--new-hoa")) {
			o.new_hoa_on_arrival = true;
		} else if (!strcmp(argv[i], "--no-hold")) {
			o.hold_packets = false;
		} else if (!strcmp(argv[i], "--time") && i + 1 < argc) {
			run_s = atof(argv[++i]);
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			fprintf(stderr, "usage: vnetseq [--mode M] [--new-hoa] [--no-hold] --time S TRACE\n");
			return 2;
		}
	}
	if (!path || run_s <= 0 || !(f = fopen(path, "r"))) {
		fprintf(stderr, "vnetseq: need a readable trace and --time\n");
		return 2;
	}
	for (unsigned i = 0; i < MAX_MN; i++)
		at[i] = -1;
	vn = fig1_build(&o); /* node clock 1000 + 1 s of start-up: trace times from 1.0 */
	while (fgets(line, sizeof(line), f)) {
		char a[64], c[64], d[64];
		unsigned mn;
		double t;

		lineno++;
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		k = sscanf(line, "%63s %u %63s %63s", a, &mn, c, d);
		if (k < 3 || mn >= MAX_MN)
			fail("expected \"time mn mr\"", lineno);
		t = atof(a);
		vnet_run_until(vn, 1000 + (dmm_time_t)(t * 1000.0 + 0.5));
		if (!strcmp(c, "send")) {
			struct in6_addr src, dst;
			if (k < 4)
				fail("send needs a destination", lineno);
			if (!strcmp(d, "server"))
				dst = vnet_a6(FIG1_SERVER);
			else if (!mn_hoa((unsigned)atoi(d), &dst))
				continue;
			if (at[mn] < 0 || !mn_hoa(mn, &src))
				continue; /* dmmsim: counted as src_detached */
			vnet_send_packet(vn, vnet_name(vn, at[mn]), &src, &dst);
			continue;
		}
		if (at[mn] >= 0) {
			struct in6_addr x;
			mn_hoa(mn, &x);
		}
		if (at[mn] >= 0)
			vnet_detach(vn, vnet_name(vn, at[mn]), mn);
		at[mn] = -1;
		if (strcmp(c, "-") != 0) {
			struct dmm_mnid id = vnet_mnid(mn);
			if (vnet_find(vn, c) < 0)
				fail("no such MR", lineno);
			at[mn] = vnet_find(vn, c);
			vnet_attach(vn, c, mn, &id);
		}
	}
	fclose(f);
	vnet_run_until(vn, 1000 + (dmm_time_t)(run_s * 1000.0 + 0.5));
	for (size_t i = 0; i < vn->n_msgs; i++) {
		const struct vnet_msg_rec *r = &vn->msgs[i];
		if (r->lost)
			continue;
		printf("%llu %s %s %s\n", (unsigned long long)r->t,
		       r->open_rc ? "(undecodable)" : dmm_msg_type_name(r->msg.type),
		       vnet_name(vn, r->from), vnet_name(vn, r->to));
	}
	k = vn->stuck;
	vnet_free(vn);
	return k ? 1 : 0;
}
