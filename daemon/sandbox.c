/* dmmd: a seccomp filter (libseccomp), installed at the end of priv_drop,
 * once the daemon runs unprivileged: an allow-list of the system calls it
 * makes from then on (its poll loop, the signalling, netlink, raw and
 * control sockets, the TUN, BPF maps and the programs loaded at the first
 * tunnel route to a peer, the store, the helper's socket pair, time,
 * memory, signals). Any other call fails with EPERM: a path this list
 * missed becomes an error the daemon reports, not a dead daemon. The
 * list came from strace of the figure-1 lab (tests/sh/priv_drop.sh: moves
 * across MRs, SIGHUP reload, a rotated event log, shutdown) with the bpf
 * driver; priv_drop.sh passes with it for bpf and tun. The privileged helper (forked before the drop) is not filtered:
 * it only talks to the daemon. A sanitizer build also allows what ASan,
 * LSan and UBSan do at a report or at exit (the leak check's tracer
 * thread, the symbolizer). */
#include <errno.h>
#include <seccomp.h>

#include "dmmd.h"
#include "log.h"

static const char *const allowed[] = {
	/* files and descriptors */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close", "lseek",
	"openat", "open", "unlink", "unlinkat", "rename", "renameat", "renameat2",
	"fstat", "newfstatat", "statx", "stat", "lstat", "faccessat", "faccessat2",
	"access", "readlink", "readlinkat", "getdents64", "fcntl", "dup", "dup2",
	"dup3", "ioctl", "pipe2", "flock", "fsync", "fdatasync", "ftruncate",
	"msync", "fstatfs", "statfs", "umask", "fchmod",
	/* waiting */
	"ppoll", "poll", "pselect6", "select", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "eventfd2", "signalfd4",
	/* sockets: signalling, netlink, raw, control, metrics, helper */
	"socket", "socketpair", "bind", "connect", "listen", "accept", "accept4",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
	"setsockopt", "getsockopt", "getsockname", "getpeername", "shutdown",
	/* BPF maps and programs (bpf driver) */
	"bpf",
	/* memory */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* time */
	"clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
	"gettimeofday", "time",
	/* signals */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait",
	"sigaltstack", "restart_syscall", "tgkill", "tkill",
	/* the process */
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid",
	"getresuid", "getresgid", "getgroups", "capget", "prctl", "uname",
	"exit", "exit_group", "wait4", "waitid", "futex", "set_robust_list",
	"rseq", "getrandom", "prlimit64", "getrlimit", "sched_yield",
	"sched_getaffinity", "sysinfo", "getcpu",
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define DMMD_SAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DMMD_SAN 1
#endif
#endif

#ifdef DMMD_SAN
/* LeakSanitizer stops the world from a clone()d tracer that reads
 * /proc/PID/task with getdents (without it: "Can't read directory entries",
 * a fatal LSan error at exit); the symbolizer is a child process. */
static const char *const allowed_san[] = {
	"clone", "clone3", "fork", "vfork", "execve", "ptrace", "kill", "getdents",
	"setrlimit", "personality", "sched_getparam", "sched_setaffinity",
	"process_vm_readv", "set_tid_address", "arch_prctl",
};
#endif

static int allow(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int rc;

		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0 && rc != -EEXIST) {
			errno = -rc;
			return -1;
		}
	}
	return 0;
}

int sandbox_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int rc = -1;

	if (ctx == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (allow(ctx, allowed, sizeof(allowed) / sizeof(allowed[0])) < 0)
		goto out;
#ifdef DMMD_SAN
	if (allow(ctx, allowed_san, sizeof(allowed_san) / sizeof(allowed_san[0])) < 0)
		goto out;
#endif
	rc = seccomp_load(ctx);
	if (rc < 0) {
		errno = -rc;
		rc = -1;
	}
out:
	seccomp_release(ctx);
	return rc;
}
