/* libFuzzer: arbitrary text as a dmmd.conf (daemon/parse*.c, compiled in
 * by the Makefile's rule). A config file is local input, but a bad
 * one must give errors, never a crash or a hang. When the text parses
 * clean, the normalized print must parse clean again and print the same
 * (the round trip dmmd -n promises): anything else aborts.
 *
 * Relative key-file paths resolve in a scratch directory holding a valid
 * key file "keys" (mode 0600), so the seeds (the figure-1 examples) reach
 * the full config check. Inputs naming device or process files are
 * skipped: opening a FIFO or /dev/zero is an operator's own doing.
 *
 * corpus/parse/hang-vtab once hung the lexer (a '\v' became an empty word
 * that never advanced); it stays in the corpus as a regression seed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../daemon/parse.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TEXT_MAX 65536

static char basedir[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[128];
	FILE *f;

	(void)argc;
	(void)argv;
	snprintf(basedir, sizeof(basedir), "/tmp/dmm-fuzz-parse-XXXXXX");
	if (!mkdtemp(basedir))
		abort();
	snprintf(path, sizeof(path), "%s/keys", basedir);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs("1 fe75e32d685e80caee73fe1da7bb68492228d5bf1c2605e4606ab2611629aec4\n"
	      "2 18c4d08f6e26959a87413c222d68aeece325db72b281b7e778c96b349b978fef\n", f);
	fclose(f);
	if (chmod(path, 0600) != 0)
		abort();
	return 0;
}

/* ASan's quarantine at 16 MiB unless ASAN_OPTIONS says otherwise: with the
 * default 256 MiB every parse's allocations came from cold memory (page
 * faults were a tenth of the time, the process grew to 400 MiB); 16 MiB
 * still holds many inputs' worth of freed memory. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

static char *
print_conf(const struct dmmd_conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	parse_conf_print(f, c);
	fclose(f);
	return text;
}

static void
round_trip(const struct dmmd_conf *c)
{
	static struct dmmd_conf again;
	char *first = print_conf(c), *second;

	if (parse_conf_text("printed", first, basedir, &again, NULL, NULL) != 0) {
		fprintf(stderr, "normalized output does not parse:\n%s", first);
		abort();
	}
	second = print_conf(&again);
	if (strcmp(first, second) != 0) {
		fprintf(stderr, "print differs after a round trip:\n%s---\n%s", first, second);
		abort();
	}
	free(first);
	free(second);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dmmd_conf c;
	char *text;

	if (size > FUZZ_TEXT_MAX)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!strstr(text, "dev/") && !strstr(text, "proc/") && !strstr(text, "sys/") &&
	    !strstr(text, "fd/") &&
	    parse_conf_text("fuzz", text, basedir, &c, NULL, NULL) == 0)
		round_trip(&c);
	free(text);
	return 0;
}
