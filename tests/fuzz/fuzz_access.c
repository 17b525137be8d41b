/* libFuzzer: what an access link feeds the data plane (dataplane/dp_access.c,
 * compiled in): Router Solicitations with their ancillary data (link, hop
 * limit) and source (dp_rs_msg), first frames' link-layer headers
 * (dp_frame_in), link events (dp_access_link_msg: RTM_NEWLINK/DELLINK and
 * their attributes), and the RA built for an attach (dp_ra_build). The input
 * is a sequence of steps on one struct dp, kept between inputs and reset.
 * The netlink, sysctl and log functions dp_access.c calls are stubs here
 * (no kernel is touched); it has no ICMPv6 socket, so RAs fail to go out,
 * and in 1 input of 64 the first-frame filter is attached to a plain UDP
 * socket, whose kernel checks the program.
 * Checked: no crash or sanitizer report; an attach names a known link and a
 * unicast, non-zero EUI-48; an RS attaches only with hop limit 255, a
 * source link-layer option and no other MN seen on its link; every counter
 * adds up (each RS received is dropped or attaches); RAs stay within
 * DP_RA_MAX with well-formed options. */
#include "../../dataplane/dp_access.c"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- stubs of the rest of the data plane ---- */

void dp_logf(struct dp *d, int level, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* the kernel refused the first-frame filter dp built: a bad program */
	if (strncmp(buf, "first-frame filter", 18) == 0)
		abort();
}

bool dp_is_core_link(const struct dp *d, uint32_t ifindex, const char *name)
{
	return strcmp(name, "core") == 0;
}

int dp_nl_addr(struct dp *d, uint32_t ifindex, const struct in6_addr *a, bool add)
{
	return 0;
}

int dp_nl_addr_gen_none(struct dp *d, uint32_t ifindex)
{
	return 0;
}

struct nlmsghdr *dp_nl_hdr(struct dp *d, void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

int dp_nl_link_up(struct dp *d, uint32_t ifindex)
{
	return 0;
}

/* The link-local of a link: the router's, or none yet (tentative), as the
 * input's last step chose. */
static bool fz_ll_ready;
int dp_nl_linklocals(struct dp *d, uint32_t ifindex, struct dp_lladdr *v, unsigned max,
		     unsigned *n)
{
	*n = 0;
	if (fz_ll_ready && max > 0) {
		v[0] = (struct dp_lladdr){ .a = d->cfg.router_ll };
		*n = 1;
	}
	return 0;
}

int dp_nl_neigh_parms(struct dp *d, uint32_t ifindex, uint64_t retrans_ms, uint32_t qbytes)
{
	return 0;
}

int dp_nl_query(struct dp *d, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	return -EIO;
}

int dp_sysctl_write(const char *path, const char *val)
{
	return 0;
}

/* ---- the harness ---- */

#define FZ_LINKS 4
#define FZ_STEPS 32

static struct dp *D;
static unsigned n_attach;

#include "fz_reader.h"

static void fz_attach(void *ctx, uint32_t ifindex, const struct dmm_mnid *id)
{
	if (dp_link_find(D, ifindex) == NULL || id->type != DMM_MNID_EUI48 || id->len != 6)
		abort();
	n_attach++;
}

static void fz_detach(void *ctx, uint32_t ifindex)
{
}

static void reset(bool real_filter)
{
	if (D == NULL) {
		D = calloc(1, sizeof(*D));
		if (D == NULL)
			abort();
		D->frame_fd = -1;
	}
	memset(D->links, 0, sizeof(D->links));
	memset(&D->st, 0, sizeof(D->st));
	/* With real_filter the first-frame filter goes on a real socket, whose
	 * kernel checks the program (a syscall and a BPF compile each time:
	 * 1 input in 64); otherwise dp skips it (no listener), as it does
	 * when the listener cannot be opened. */
	if (real_filter && D->frame_fd < 0 &&
	    (D->frame_fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		abort();
	if (!real_filter && D->frame_fd >= 0) {
		close(D->frame_fd);
		D->frame_fd = -1;
	}
	D->icmp_fd = D->tun_fd = -1;
	D->drv = NULL;
	D->cfg = (struct dp_config){ .mr = true, .attach_first_frame = true, .n_access = 1,
				     .ra_router_lifetime_s = 1800,
				     .router_ll = { .s6_addr = { 0xfe, 0x80, [15] = 1 } } };
	snprintf(D->cfg.access[0], sizeof(D->cfg.access[0]), "mn*");
	D->cb = (struct dp_callbacks){ .attach = fz_attach, .detach = fz_detach };
	for (unsigned i = 0; i < FZ_LINKS; i++) {
		struct dp_link *l = &D->links[i];
		*l = (struct dp_link){ .used = true, .ifindex = i + 1, .carrier = true,
				       .has_mac = i != 3, .mtu = i == 2 ? 1280 : 1500,
				       .mac = { 0x02, 0, 0, 0, 0xfe, (uint8_t)i } };
		snprintf(l->name, sizeof(l->name), "mn%u", i);
		if (i < 3 && real_filter)
			dp_link_arm(D, l);
		else if (i < 3) /* as dp_link_arm would, without the filter */
			l->armed = true;
	}
	n_attach = 0;
	fz_ll_ready = true;
}

/* An RS as the ICMPv6 socket gives it: source, ancillary data, bytes. */
static void step_rs(struct rd *r)
{
	uint8_t sel = get8(r), buf[1500];
	struct sockaddr_in6 from = { .sin6_family = AF_INET6 };
	union { struct cmsghdr c; uint8_t b[256]; } cb;
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from),
			    .msg_control = cb.b };
	const uint8_t *p;
	size_t len;

	memset(&cb, 0, sizeof(cb));
	if (sel & 1) { /* a link-local source, else :: or fuzzed */
		from.sin6_addr.s6_addr[0] = 0xfe;
		from.sin6_addr.s6_addr[1] = 0x80;
		from.sin6_addr.s6_addr[15] = get8(r);
	} else if (sel & 2) {
		len = take(r, 16, &p);
		memcpy(&from.sin6_addr, p, len);
	}
	if (sel & 4)
		m.msg_namelen = get8(r) % sizeof(from);
	if (sel & 8) { /* well-formed ancillary data: PKTINFO then HOPLIMIT */
		struct cmsghdr *c = &cb.c;
		struct in6_pktinfo pi = { .ipi6_ifindex = get8(r) % (FZ_LINKS + 2) };
		int hl = sel & 16 ? 255 : get8(r);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		c = (struct cmsghdr *)(cb.b + CMSG_SPACE(sizeof(pi)));
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_HOPLIMIT;
		c->cmsg_len = CMSG_LEN(sizeof(hl));
		memcpy(CMSG_DATA(c), &hl, sizeof(hl));
		m.msg_controllen = CMSG_SPACE(sizeof(pi)) + CMSG_SPACE(sizeof(hl));
	} else { /* raw bytes */
		len = take(r, get8(r) % sizeof(cb.b), &p);
		memcpy(cb.b, p, len);
		m.msg_controllen = len;
	}
	len = take(r, (size_t)get8(r) << (sel >> 7 ? 3 : 0), &p);
	if (len > sizeof(buf)) /* what dp_access_read's buffer holds */
		len = sizeof(buf);
	memcpy(buf, p, len); /* a private copy: overreads are caught */
	uint64_t rx = D->st.rs_received, drop = D->st.rs_dropped, at = n_attach;
	dp_rs_msg(D, buf, len, &m);
	/* each RS counted is dropped or attaches, never both */
	if (D->st.rs_received - rx != (D->st.rs_dropped - drop) + (n_attach - at))
		abort();
}

static void step_frame(struct rd *r)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	const uint8_t *p;
	size_t len = take(r, 12, &p);
	uint8_t b[12] = { 0 };

	memcpy(b, p, len);
	sll.sll_ifindex = b[0] % (FZ_LINKS + 2);
	sll.sll_pkttype = b[1] % 8;
	sll.sll_halen = b[2] % 9;
	memcpy(sll.sll_addr, b + 3, 8);
	dp_frame_in(D, &sll, (socklen_t)(b[11] % (sizeof(sll) + 1)));
}

/* A link event: a well-formed RTM_NEWLINK/DELLINK built from the input
 * (name, flags, MTU, address), or raw bytes as a netlink message. */
static void step_link(struct rd *r)
{
	static const char *const names[] = { "mn0", "mn1", "mn7", "core", "eth0", "mn3" };
	union { struct nlmsghdr h; uint8_t b[512]; } u;
	uint8_t sel = get8(r);
	const uint8_t *p;
	size_t len;

	memset(&u, 0, sizeof(u));
	if (sel & 1) {
		len = take(r, get8(r) % sizeof(u.b), &p);
		memcpy(u.b, p, len);
		if (len >= sizeof(u.h) && u.h.nlmsg_len > len)
			u.h.nlmsg_len = (uint32_t)len;
		if (len < sizeof(u.h))
			return;
	} else {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(u.b);
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		uint8_t mac[8] = { 0x02, 0, 0, 0, 0xfe, get8(r) };
		nlh->nlmsg_type = sel & 2 ? RTM_DELLINK : RTM_NEWLINK;
		ifi->ifi_index = get8(r) % (FZ_LINKS + 3);
		ifi->ifi_flags = (sel & 4 ? IFF_UP : 0) | (sel & 8 ? IFF_LOWER_UP : 0);
		if (!(sel & 16))
			mnl_attr_put_strz(nlh, IFLA_IFNAME, names[get8(r) % 6]);
		if (sel & 32)
			mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)get8(r) << 4);
		if (sel & 64)
			mnl_attr_put(nlh, IFLA_ADDRESS, sel & 128 ? 6 : get8(r) % 9, mac);
	}
	dp_access_link_msg(D, &u.h);
}

/* The RA for an attach: the options must parse back. */
static void step_ra(struct rd *r)
{
	struct dmm_dp_op op = { .kind = DMM_DP_ADVERTISE };
	uint8_t b[DP_RA_MAX];
	const struct dp_link *l = &D->links[get8(r) % FZ_LINKS];
	size_t n;

	if (!l->used)
		return;
	op.link = l->ifindex;
	op.n_adv = get8(r) % (DMM_MAX_HNP + 2);
	for (unsigned i = 0; i < DMM_MAX_HNP; i++) {
		const uint8_t *p;
		size_t k = take(r, 16, &p);
		memcpy(&op.adv[i].prefix.addr, p, k);
		op.adv[i].prefix.len = get8(r);
		op.adv[i].valid_s = get8(r) * 1000u;
		op.adv[i].preferred_s = get8(r) * 100u;
	}
	D->cfg.ra_router_lifetime_s = get8(r) * 100u;
	n = dp_ra_build(D, l, &op, b);
	if (n > DP_RA_MAX || n % 8)
		abort();
	for (size_t off = 16; off < n; off += (size_t)b[off + 1] * 8)
		if (b[off + 1] == 0 || off + (size_t)b[off + 1] * 8 > n)
			abort();
	dp_access_advertise(D, &op); /* fails to send (no socket), may queue a retry */
}

/* -entropic=0 put first (a later -entropic=1 on the command line wins):
 * the entropic scheduler's per-feature bookkeeping was 58 % of the time
 * (perf), the harness 23 %; without it 2.3-2.7x the executions per CPU
 * second, the same coverage (measured side by side, 15 s each). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char flag[] = "-entropic=0";
	char **v = calloc((size_t)*argc + 2, sizeof(*v));

	if (v == NULL)
		abort();
	v[0] = (*argv)[0];
	v[1] = flag;
	for (int i = 1; i < *argc; i++)
		v[i + 1] = (*argv)[i];
	*argv = v;
	(*argc)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };

	reset(size > 0 && (data[0] & 0x3f) == 0x3f);
	for (unsigned i = 0; i < FZ_STEPS && r.n; i++) {
		uint8_t op = get8(&r);
		switch (op % 5) {
		case 0:
			step_rs(&r);
			break;
		case 1:
			step_frame(&r);
			break;
		case 2:
			step_link(&r);
			break;
		case 3:
			step_ra(&r);
			break;
		default:
			fz_ll_ready = op & 8;
			D->now += (op >> 4) * 50u;
			dp_access_timer(D, D->now);
			break;
		}
	}
	/* an MN attaches only on a known link, once identified */
	for (unsigned i = 0; i < DP_MAX_LINKS; i++)
		if (D->links[i].used && D->links[i].armed && D->links[i].mn_seen)
			abort();
	return 0;
}
