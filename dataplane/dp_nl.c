/* rtnetlink and genetlink plumbing: one request socket (every request acked,
 * ENOMEM retried with backoff), one socket subscribed to link events. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/seg6_genl.h>

#include "dp_priv.h"

int dp_nl_open(struct dp *d)
{
	d->nl = mnl_socket_open(NETLINK_ROUTE);
	if (d->nl == NULL || mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	d->portid = mnl_socket_get_portid(d->nl);
	d->seq = (uint32_t)time(NULL);
	int one = 1;
	/* Extended ACKs: the kernel's reason text on errors, for the log. */
	mnl_socket_setsockopt(d->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	/* Room for the answers to a batch (DP_BATCH_MSGS): beyond the
	 * default limit with CAP_NET_ADMIN, else as much as it allows. */
	int rcv = DP_NL_RCVBUF;
	if (setsockopt(mnl_socket_get_fd(d->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(d->nl), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));

	d->nl_ev = mnl_socket_open(NETLINK_ROUTE);
	if (d->nl_ev == NULL || mnl_socket_bind(d->nl_ev, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	int fd = mnl_socket_get_fd(d->nl_ev);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

void dp_nl_close(struct dp *d)
{
	if (d->nl)
		mnl_socket_close(d->nl);
	if (d->nl_ev)
		mnl_socket_close(d->nl_ev);
	d->nl = d->nl_ev = NULL;
}

struct nlmsghdr *dp_nl_hdr(struct dp *d, void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static void dp_backoff(void)
{
	struct timespec ts = { 0, (50 + rand() % 51) * 1000000L };

	nanosleep(&ts, NULL);
}

struct dp_nl_wrap {
	struct dp *d;
	mnl_cb_t cb;
	void *data;
};

static int dp_nl_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dp_nl_wrap *w = data;

	return w->cb ? w->cb(nlh, w->data) : MNL_CB_OK;
}

/* NLMSG_ERROR: keep the kernel's extended-ACK text for the log. */
static int dp_nl_err_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dp_nl_wrap *w = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	w->d->nl_errmsg[0] = '\0';
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
		mnl_attr_for_each(a, nlh, off)
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				snprintf(w->d->nl_errmsg, sizeof(w->d->nl_errmsg), "%s",
					 mnl_attr_get_str(a));
	}
	errno = -e->error;
	return MNL_CB_ERROR;
}

static int dp_nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_STOP;
}

static int dp_nl_noop_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

/* Receive replies to seq on sock; 0 on ACK/DONE, -errno on error. */
static int dp_nl_wait(struct dp *d, struct mnl_socket *sock, uint32_t seq, uint32_t portid,
		      mnl_cb_t cb, void *data)
{
	struct dp_nl_wrap w = { d, cb, data };
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_NOOP] = dp_nl_noop_cb,
		[NLMSG_ERROR] = dp_nl_err_cb, [NLMSG_DONE] = dp_nl_done_cb,
		[NLMSG_OVERRUN] = dp_nl_noop_cb };

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(sock, d->nlbuf, DP_NLBUF);
		if (n < 0)
			return -errno;
		int r = mnl_cb_run2(d->nlbuf, (size_t)n, seq, portid, dp_nl_data_cb, &w, ctl,
				    NLMSG_MIN_TYPE);
		if (r == MNL_CB_ERROR)
			return errno ? -errno : -EIO;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static int dp_nl_xfer(struct dp *d, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	/* Queued route messages go first, so that requests stay in order;
	 * but the lookup of one route (a locator's output device, while TUNNEL
	 * routes are being queued) depends on none of them. */
	if (d->bq_n > 0 && !(nlh->nlmsg_type == RTM_GETROUTE && !(nlh->nlmsg_flags & NLM_F_DUMP)))
		dp_batch_flush(d);
	for (unsigned tries = 0;; tries++) {
		nlh->nlmsg_seq = ++d->seq;
		if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0)
			return -errno;
		int err = dp_nl_wait(d, d->nl, nlh->nlmsg_seq, d->portid, cb, data);
		if (err != -ENOMEM || tries + 1 >= DP_ENOMEM_TRIES)
			return err;
		/* seg6 routes need a per-CPU atomic allocation that fails
		 * now and then under bulk load; it succeeds a bit later. */
		d->st.nl_enomem_retries++;
		dp_backoff();
	}
}

int dp_nl_request(struct dp *d, struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	return dp_nl_xfer(d, nlh, NULL, NULL);
}

int dp_nl_query(struct dp *d, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	return dp_nl_xfer(d, nlh, cb, data);
}

int dp_nl_link_up(struct dp *d, uint32_t ifindex)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return dp_nl_request(d, nlh);
}

static int dp_oif_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct rtmsg)) {
		if (mnl_attr_get_type(a) == RTA_OIF &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*(uint32_t *)data = mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

/* The kernel's own choice of output device towards dst (RTM_GETROUTE). */
int dp_nl_route_oif(struct dp *d, const struct in6_addr *dst, uint32_t *oif)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, RTM_GETROUTE, NLM_F_ACK);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = 128;
	mnl_attr_put(nlh, RTA_DST, sizeof(*dst), dst);
	*oif = 0;
	int err = dp_nl_query(d, nlh, dp_oif_cb, oif);
	if (err == 0 && *oif == 0)
		err = -ENETUNREACH;
	return err;
}

struct dp_ll_ctx {
	uint32_t ifindex;
	struct dp_lladdr *v;
	unsigned max, n;
};

static int dp_ll_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dp_ll_ctx *c = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	uint32_t flags = ifa->ifa_flags;
	const void *addr = NULL;
	struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET6 ||
	    ifa->ifa_index != c->ifindex || ifa->ifa_scope != RT_SCOPE_LINK)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(a) == IFA_ADDRESS && mnl_attr_get_payload_len(a) == 16)
			addr = mnl_attr_get_payload(a);
		if (mnl_attr_get_type(a) == IFA_FLAGS && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			flags = mnl_attr_get_u32(a);
	}
	if (addr == NULL)
		return MNL_CB_OK;
	if (c->n < c->max) {
		memcpy(&c->v[c->n].a, addr, 16);
		c->v[c->n].flags = flags;
	}
	c->n++;
	return MNL_CB_OK;
}

/* RTM_GETADDR dumps every interface (the kernel ignores ifa_index in a
 * dump request); dp_ll_cb keeps ifindex's. */
int dp_nl_linklocals(struct dp *d, uint32_t ifindex, struct dp_lladdr *v, unsigned max,
		     unsigned *n)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct dp_ll_ctx c = { ifindex, v, max, 0 };

	ifa->ifa_family = AF_INET6;
	ifa->ifa_index = ifindex;
	int err = dp_nl_query(d, nlh, dp_ll_cb, &c);
	*n = c.n;
	return err;
}

int dp_nl_addr(struct dp *d, uint32_t ifindex, const struct in6_addr *a, bool add)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, add ? RTM_NEWADDR : RTM_DELADDR,
					 add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = 64;
	ifa->ifa_scope = RT_SCOPE_LINK;
	ifa->ifa_index = ifindex;
	if (add) {
		/* Never tentative: an RA must be able to leave from it at once. */
		ifa->ifa_flags = IFA_F_NODAD | IFA_F_PERMANENT;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD | IFA_F_PERMANENT);
	}
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(*a), a);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(*a), a);
	return dp_nl_request(d, nlh);
}

int dp_nl_neigh_parms(struct dp *d, uint32_t ifindex, uint64_t retrans_ms, uint32_t qbytes)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, RTM_SETNEIGHTBL, 0);
	struct ndtmsg *ndtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndtm));

	ndtm->ndtm_family = AF_INET6;
	mnl_attr_put_strz(nlh, NDTA_NAME, "ndisc_cache");
	struct nlattr *p = mnl_attr_nest_start(nlh, NDTA_PARMS);
	mnl_attr_put_u32(nlh, NDTPA_IFINDEX, ifindex);
	mnl_attr_put_u64(nlh, NDTPA_RETRANS_TIME, retrans_ms);
	mnl_attr_put_u32(nlh, NDTPA_QUEUE_LENBYTES, qbytes);
	mnl_attr_nest_end(nlh, p);
	return dp_nl_request(d, nlh);
}

int dp_nl_addr_gen_none(struct dp *d, uint32_t ifindex)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = dp_nl_hdr(d, buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *spec, *in6;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	in6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, spec);
	return dp_nl_request(d, nlh);
}

static int dp_genl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			*(uint16_t *)data = mnl_attr_get_u16(a);
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *dp_genl_hdr(void *buf, uint16_t family, uint8_t cmd, uint8_t ver,
				    uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = ver;
	return nlh;
}

static int dp_genl_xfer(struct dp *d, struct mnl_socket *s, struct nlmsghdr *nlh,
			mnl_cb_t cb, void *data)
{
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return dp_nl_wait(d, s, nlh->nlmsg_seq, mnl_socket_get_portid(s), cb, data);
}

/* `ip sr tunsrc set a`: the outer source of seg6 encapsulation. */
int dp_nl_set_tunsrc(struct dp *d, const struct in6_addr *a)
{
	uint8_t buf[256];
	uint16_t family = 0;
	struct mnl_socket *s = mnl_socket_open(NETLINK_GENERIC);
	int err;

	if (s == NULL)
		return -errno;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	struct nlmsghdr *nlh = dp_genl_hdr(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, ++d->seq);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, SEG6_GENL_NAME);
	err = dp_genl_xfer(d, s, nlh, dp_genl_family_cb, &family);
	if (err == 0 && family == 0)
		err = -ENOENT;
	if (err < 0)
		goto out;
	nlh = dp_genl_hdr(buf, family, SEG6_CMD_SET_TUNSRC, SEG6_GENL_VERSION, ++d->seq);
	mnl_attr_put(nlh, SEG6_ATTR_DST, sizeof(*a), a);
	err = dp_genl_xfer(d, s, nlh, NULL, NULL);
out:
	mnl_socket_close(s);
	return err;
}

static int dp_ev_cb(const struct nlmsghdr *nlh, void *data)
{
	dp_access_link_msg(data, nlh);
	return MNL_CB_OK;
}

/* Drain link events. On overflow (ENOBUFS) re-read the whole link list. */
void dp_nl_events(struct dp *d)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(d->nl_ev, d->evbuf, DP_NLBUF);
		if (n < 0) {
			if (errno == ENOBUFS) {
				dp_logf(d, DMM_LOG_WARN, "link events lost, resyncing");
				dp_access_scan(d);
				continue;
			}
			return;
		}
		memset(d->oif_cache, 0, sizeof(d->oif_cache)); /* a link changed */
		mnl_cb_run(d->evbuf, (size_t)n, 0, 0, dp_ev_cb, d);
	}
}
