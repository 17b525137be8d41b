/* What the unit tests that compile daemon files in (test_control.c,
 * test_metrics.c) share: a struct dmmd around a started nodetest node.
 * Include after cmocka.h, the daemon's files and nodetest.h. */
#ifndef DMMD_TEST_H
#define DMMD_TEST_H

/* Start nt as node name at address self with roles, in one network "a"
 * (2001:db8:a::/48) whose LM and HAA are lmhaa, and set up d around it:
 * dmmd.conf defaults with that core config, d->now 1000. */
static void dt_start(struct dmmd *d, struct nodetest *nt, const char *name, const char *self,
		     unsigned roles, const char *lmhaa)
{
	struct dmm_config c;

	nt_config(&c, name, self, roles);
	nt_add_net(&c, "a", "2001:db8:a::/48", lmhaa, lmhaa);
	c.local_net = 0;
	assert_int_equal(nt_start(nt, &c, 1000), 0);
	memset(d, 0, sizeof(*d));
	parse_conf_defaults(&d->conf);
	d->conf.core = c;
	d->node = nt->node;
	d->now = 1000;
}

#endif
