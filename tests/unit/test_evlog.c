/* dmmd event log (daemon/evlog.c), compiled in directly with the text
 * buffer and the logger: one JSON object per line whatever bytes a peer
 * put in an MN id, and a failing disk does not log once per event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/buf.c"
#include "../../daemon/log.c"
#include "../../daemon/evlog.c"

static struct dmmd d;

/* control.c is not compiled in: no monitor is ever connected. */
bool control_has_monitors(const struct dmmd *dd)
{
	return false;
}

void control_monitor_event(struct dmmd *dd, json_t *ev)
{
	fail_msg("no monitor to send to");
}

static struct dmm_event nai_event(const char *id, size_t len)
{
	struct dmm_event ev = { .kind = DMM_EV_HOA_RELEASED, .t = 1234, .link = 3 };

	ev.mnid.type = DMM_MNID_NAI;
	ev.mnid.len = (uint8_t)len;
	memcpy(ev.mnid.id, id, len);
	return ev;
}

/* An NAI with a quote, a backslash, a newline, an escape and a NUL stays
 * inside its JSON string, on one line. */
static void test_nai_escaped(void **state)
{
	char *text = NULL;
	size_t len = 0;
	struct dmm_event ev = nai_event("a\"b\\c\nd\x1b\0e", 10);

	memset(&d, 0, sizeof(d));
	snprintf(d.conf.core.name, sizeof(d.conf.core.name), "n\"1");
	d.evlog = open_memstream(&text, &len);
	assert_non_null(d.evlog);
	evlog_event(&d, &ev);
	fclose(d.evlog);
	d.evlog = NULL;
	static const char want[] = "{\"t_ms\":1234,\"node\":\"n\\\"1\",\"event\":\"hoa_released\","
				   "\"mnid\":\"a\\\"b\\\\c%0ad%1b%00e\",\"prefix\":null,"
				   "\"peer\":null,\"link\":3,\"time\":\"";
	assert_non_null(text);
	assert_memory_equal(text, want, sizeof(want) - 1);
	/* then the time of day: 2026-01-31T12:00:00.123Z"}\n */
	assert_int_equal(strlen(text), sizeof(want) - 1 + 24 + 3);
	assert_string_equal(text + sizeof(want) - 1 + 23, "Z\"}\n");
	assert_int_equal(text[sizeof(want) - 1 + 10], 'T');
	assert_int_equal(d.st.ev_written, 1);
	free(text);
}

static unsigned count_lines(const char *path, const char *needle)
{
	char line[512];
	unsigned n = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* /dev/full: every write fails. 100 events in a second: one warning. */
static void test_write_failure_rate_limited(void **state)
{
	char errpath[] = "/tmp/dmm-evlog-err-XXXXXX";
	int errfd = mkstemp(errpath), saved = dup(STDERR_FILENO);
	struct dmm_event ev = nai_event("mn", 2);

	assert_true(errfd >= 0 && saved >= 0);
	memset(&d, 0, sizeof(d));
	snprintf(d.conf.event_log, sizeof(d.conf.event_log), "/dev/full");
	d.evlog = fopen("/dev/full", "a");
	if (!d.evlog)
		skip();
	dup2(errfd, STDERR_FILENO);
	for (int i = 0; i < 100; i++) {
		d.now = 5000 + (dmm_time_t)i * 10;
		evlog_event(&d, &ev);
	}
	d.now = 5000 + 10000; /* the quiet time is over */
	evlog_event(&d, &ev);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(d.evlog);
	d.evlog = NULL;
	assert_int_equal(count_lines(errpath, "event log /dev/full: write failed"), 2);
	assert_int_equal(count_lines(errpath, "(99 more since the last warning)"), 1);
	assert_int_equal(d.st.ev_written, 0);
	close(errfd);
	unlink(errpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nai_escaped),
		cmocka_unit_test(test_write_failure_rate_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
