/* libFuzzer: arbitrary bytes into dmm_msg_open with the sample key ring and
 * addresses (the seed corpus is sealed with them, so mutations reach the
 * MAC check as well as the decoder). */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "samples.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (dmm_auth_init() != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmm_keyring kr;
	struct in6_addr src, dst;
	struct dmm_msg m;

	sample_keyring(&kr);
	sample_addrs(&src, &dst);
	(void)dmm_msg_open(&kr, &src, &dst, data, size, &m);
	return 0;
}
