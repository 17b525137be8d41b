/* libFuzzer: arbitrary bytes into dmm_msg_decode. Whatever decodes must
 * re-encode, and the re-encoding must decode to the same message (an
 * assertion on our own output, never on the input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "samples.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[DMM_MSG_MAX];
	struct dmm_msg m, m2;
	const char *diff;
	int len, rc;

	memset(&m, 0, sizeof(m));
	if (dmm_msg_decode(data, size, &m) != 0)
		return 0;
	len = dmm_msg_encode(&m, buf, sizeof(buf));
	if (len <= 0) {
		fprintf(stderr, "decoded %s does not re-encode: %s\n",
			dmm_msg_type_name(m.type), dmm_strerror(len));
		abort();
	}
	memset(&m2, 0, sizeof(m2));
	if ((rc = dmm_msg_decode(buf, (size_t)len, &m2)) != 0) {
		fprintf(stderr, "re-encoded %s does not decode: %s\n",
			dmm_msg_type_name(m.type), dmm_strerror(rc));
		abort();
	}
	if ((diff = sample_msg_diff(&m, &m2)) != NULL) {
		fprintf(stderr, "re-encoded %s decodes differently: %s\n",
			dmm_msg_type_name(m.type), diff);
		abort();
	}
	return 0;
}
