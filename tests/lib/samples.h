/* Realistic sample messages, one per type, with a fixed key ring and fixed
 * addresses: shared by the auth tests, the fuzzers and tools/mkpcap.c (which
 * writes the seed corpora and the tshark sample capture). */
#ifndef DMM_SAMPLES_H
#define DMM_SAMPLES_H

#include "auth.h"

#define SAMPLE_KEY_ID 0x00000101u
#define SAMPLE_KEY2_ID 0x00000202u
#define SAMPLE_TS_MS UINT64_C(1700000000123) /* 2023-11-14T22:13:20.123Z */

/* Fill m with a message of type t carrying every option its type uses. */
void sample_msg(enum dmm_msg_type t, struct dmm_msg *m);
/* The sample key ring: key SAMPLE_KEY_ID (active) only. */
void sample_keyring(struct dmm_keyring *kr);
/* Key bytes for id (deterministic, distinct per id). */
void sample_key(uint32_t id, uint8_t key[DMM_KEY_LEN]);
/* Source and destination of sample messages (2001:db8:ffff::1 and ::2). */
void sample_addrs(struct in6_addr *src, struct in6_addr *dst);

/* Name of the first field a and b disagree on (type, seq, flags, status,
 * code, lifetime, present bits other than DMM_P_AUTH, then every field the
 * present bits announce), or NULL when they carry the same message. The
 * authenticator (key id, MAC) is not compared. */
const char *sample_msg_diff(const struct dmm_msg *a, const struct dmm_msg *b);

#endif
