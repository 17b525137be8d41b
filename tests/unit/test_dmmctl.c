/* dmmctl (ctl/dmmctl.c), compiled in with its main renamed and a 1 s
 * timeout: a dmmd that takes the connection but never answers makes
 * dmmctl fail in time, not hang the script that called it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#define DMMCTL_TIMEOUT_S 1
#define main dmmctl_main
int dmmctl_main(int argc, char **argv);
#include "../../ctl/dmmctl.c"
#undef main

static char dir[64], path[128];
static int lfd = -1;

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(dir, sizeof(dir), "/tmp/dmm-ctl-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl", dir);
	memcpy(sa.sun_path, path, strlen(path));
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	return 0;
}

static int teardown(void **state)
{
	close(lfd);
	unlink(path);
	rmdir(dir);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run(void)
{
	char *argv[] = { "dmmctl", "-s", path, "show", "counters", NULL };

	optind = 1;
	return dmmctl_main(5, argv);
}

/* Connected (the backlog takes it), request written, no answer ever. */
static void test_silent_daemon(void **state)
{
	int64_t t0 = now_ms();

	assert_int_equal(run(), 1);
	assert_true(now_ms() - t0 >= 900);
	assert_true(now_ms() - t0 < 3000);
}

/* The ordinary case still works: "ok" -> 0, "error: ..." -> 1. */
static void test_answers(void **state)
{
	static const char *const answers[] = { "ok\nrx 1\n", "error: no\n" };

	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();
		int status;
		assert_true(pid >= 0);
		if (pid == 0) {
			char req[64];
			int fd = accept(lfd, NULL, NULL);
			ssize_t n = read(fd, req, sizeof(req));
			if (n != 14 || memcmp(req, "show counters\n", 14) != 0)
				_exit(3);
			if (write(fd, answers[i], strlen(answers[i])) < 0)
				_exit(4);
			_exit(0);
		}
		assert_int_equal(run(), i);
		waitpid(pid, &status, 0);
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_silent_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
