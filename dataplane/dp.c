/* dmm Linux data plane: life cycle, op dispatch and poll integration. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_priv.h"

#define DP_CAP_NET_ADMIN 12

void dp_config_defaults(struct dp_config *c)
{
	memset(c, 0, sizeof(*c));
	c->table = 4242;
	c->rule_pref = 1000;
	c->protocol = 177;
	snprintf(c->tun_name, sizeof(c->tun_name), "dmm0");
	c->hold_max_pkts = 4096;
	c->hold_max_ms = 5000;
	c->ra_router_lifetime_s = 1800;
	c->mr = true;
	c->attach_first_frame = true;
	c->router_ll = (struct in6_addr){ .s6_addr = { 0xfe, 0x80, [15] = 1 } };
}

void dp_logf(struct dp *d, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (d->cb.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	d->cb.log(d->cb.ctx, level, line);
}

int dp_sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, val, strlen(val));
	int err = n == (ssize_t)strlen(val) ? 0 : -errno;
	close(fd);
	return err;
}

int dp_sysctl_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return -errno;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static bool dp_has_net_admin(void)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return (caps >> DP_CAP_NET_ADMIN) & 1;
}

static int dp_checks(struct dp *d)
{
	char v[16];

	if (!d->cfg.mr && d->cfg.n_access == 0)
		return 0; /* LM/HAA only: dp does nothing */
	if (!dp_has_net_admin()) {
		dp_logf(d, DMM_LOG_ERR, "need root or CAP_NET_ADMIN to program routes");
		return -EPERM;
	}
	if (!d->cfg.mr)
		return 0;
	if (dp_sysctl_read("/proc/sys/net/ipv6/conf/all/forwarding", v, sizeof(v)) < 0 ||
	    strcmp(v, "1") != 0) {
		dp_logf(d, DMM_LOG_ERR, "IPv6 forwarding is off: an MR must forward; run "
			"sysctl -w net.ipv6.conf.all.forwarding=1");
		return -EINVAL;
	}
	return 0;
}

/* Everything that touches the kernel, in an order where a failure leaves
 * only things dp_close knows how to remove. */
static int dp_setup(struct dp *d)
{
	int err;

	if ((err = dp_flush_stale(d)) < 0) {
		dp_logf(d, DMM_LOG_ERR, "cannot remove a previous instance's routes: %s",
			strerror(-err));
		return err;
	}
	/* The TUN first: the drivers' probe routes need a device that is up. */
	if ((err = dp_tun_open(d)) < 0 || (err = dp_driver_select(d)) < 0)
		return err;
	if ((err = dp_rules_setup(d)) < 0) {
		dp_logf(d, DMM_LOG_ERR, "cannot install policy rules: %s", strerror(-err));
		return err;
	}
	d->drv_open = true;
	if ((err = d->drv->open(d)) < 0)
		return err;
	if (d->cfg.n_peers == 0)
		dp_logf(d, DMM_LOG_WARN, "the domain map lists no MR: tunnels from any source "
			"are decapsulated (list them: network { mr ADDRESS })");
	dp_logf(d, DMM_LOG_INFO, "data plane %s (%s)", dp_driver_name(d->drv->kind), d->drv_why);
	return 0;
}

int dp_open(struct dp **out, const struct dp_config *cfg, const struct dp_callbacks *cb)
{
	struct dp *d = calloc(1, sizeof(*d));
	int err;

	*out = NULL;
	if (d == NULL)
		return -ENOMEM;
	d->pktbuf = malloc(DP_PKT_MAX);
	d->nlbuf = malloc(DP_NLBUF);
	d->evbuf = malloc(DP_NLBUF);
	if (d->pktbuf == NULL || d->nlbuf == NULL || d->evbuf == NULL) {
		free(d->pktbuf);
		free(d->nlbuf);
		free(d->evbuf);
		free(d);
		return -ENOMEM;
	}
	d->cfg = *cfg;
	d->cb = *cb;
	d->tun_fd = d->icmp_fd = d->frame_fd = -1;
	if ((err = dp_checks(d)) < 0)
		goto fail;
	if ((err = dp_nl_open(d)) < 0) {
		dp_logf(d, DMM_LOG_ERR, "netlink: %s", strerror(-err));
		goto fail;
	}
	if (d->cfg.mr && (err = dp_setup(d)) < 0)
		goto fail;
	if (d->cfg.n_access && (err = dp_access_open(d)) < 0) {
		dp_logf(d, DMM_LOG_ERR, "access links: %s", strerror(-err));
		goto fail;
	}
	*out = d;
	return 0;
fail:
	dp_close(d);
	return err;
}

void dp_close(struct dp *d)
{
	if (d == NULL)
		return;
	d->batch_depth = 0;
	dp_batch_flush(d);
	dp_access_close(d);
	while (d->nl && d->n_announced > 0) {
		struct dmm_prefix p = d->announced[d->n_announced - 1];
		if (dp_announce(d, &p, false, 0) < 0)
			d->n_announced--; /* it goes with the TUN device anyway */
	}
	if (d->nl) {
		dp_holds_free(d);
		dp_routes_remove_all(d);
		if (d->drv_open)
			d->drv->close(d);
		dp_rules_teardown(d);
	}
	dp_routes_free(d);
	dp_batch_free(d);
	dp_tun_close(d);
	dp_nl_close(d);
	free(d->pktbuf);
	free(d->nlbuf);
	free(d->evbuf);
	free(d);
}

int dp_apply(struct dp *d, const struct dmm_dp_op *op)
{
	char p[DMM_PREFIX_STRLEN];
	int err;

	if (!d->cfg.mr && op->kind != DMM_DP_ADVERTISE)
		return -EOPNOTSUPP;
	if (op->kind != DMM_DP_TUNNEL_ADD && op->kind != DMM_DP_TUNNEL_DEL)
		dp_batch_flush(d); /* what this op does comes after the queued routes */
	switch (op->kind) {
	case DMM_DP_HOLD_START:
	case DMM_DP_HOLD_FLUSH:
	case DMM_DP_HOLD_DROP:
		err = dp_hold_op(d, op);
		break;
	case DMM_DP_ADVERTISE:
		err = dp_access_advertise(d, op);
		break;
	case DMM_DP_LOCATOR_ADD:
	case DMM_DP_LOCATOR_DEL:
		if (op->prefix.len != 64 || op->xlate.len != 64)
			err = -EINVAL;
		else if (d->drv == NULL || d->drv->locator == NULL)
			err = -EOPNOTSUPP;
		else
			err = d->drv->locator(d, &op->prefix, &op->xlate,
					      op->kind == DMM_DP_LOCATOR_ADD);
		break;
	case DMM_DP_KIND_COUNT:
		err = -EINVAL;
		break;
	default:
		err = dp_route_op(d, op);
		break;
	}
	if (err < 0)
		dp_logf(d, DMM_LOG_WARN, "%s %s: %s%s%s", dmm_dp_kind_name(op->kind),
			dmm_prefix_str(&op->prefix, p, sizeof(p)), strerror(-err),
			d->nl_errmsg[0] ? ": " : "", d->nl_errmsg);
	d->nl_errmsg[0] = '\0';
	return err;
}

bool dp_can_locator(const struct dp *d)
{
	return d->drv != NULL && d->drv->locator != NULL;
}

int dp_pollfds(struct dp *d, struct pollfd *fds, int max)
{
	int fdv[4] = { mnl_socket_get_fd(d->nl_ev), d->tun_fd, d->icmp_fd,
		       d->drv && d->drv->pollfd ? d->drv->pollfd(d) : -1 };
	int n = 0;

	for (unsigned i = 0; i < 4 && n < max; i++)
		if (fdv[i] >= 0)
			fds[n++] = (struct pollfd){ .fd = fdv[i], .events = POLLIN };
	return n + dp_access_pollfds(d, fds + n, max - n);
}

void dp_dispatch(struct dp *d, const struct pollfd *fds, int n, dmm_time_t now)
{
	d->now = now;
	dp_batch_flush(d); /* packets are re-routed here: the routes first */
	for (int i = 0; i < n; i++) {
		if (!(fds[i].revents & (POLLIN | POLLERR)))
			continue;
		if (fds[i].fd == mnl_socket_get_fd(d->nl_ev))
			dp_nl_events(d);
		else if (fds[i].fd == d->tun_fd)
			dp_tun_read(d);
		else if (fds[i].fd == d->icmp_fd)
			dp_access_read(d);
		else if (d->drv && d->drv->pollfd && fds[i].fd == d->drv->pollfd(d))
			d->drv->read(d);
		else
			dp_access_frames(d, fds[i].fd);
	}
}

dmm_time_t dp_next_deadline(const struct dp *d)
{
	dmm_time_t a = dp_hold_deadline(d), b = dp_access_deadline(d);

	return a < b ? a : b;
}

void dp_timer(struct dp *d, dmm_time_t now)
{
	d->now = now;
	dp_batch_flush(d);
	dp_hold_expire(d, now);
	dp_access_timer(d, now);
}

void dp_get_stats(const struct dp *d, struct dp_stats *s)
{
	*s = d->st;
	if (d->drv && d->drv->stats)
		d->drv->stats(d, s);
}
