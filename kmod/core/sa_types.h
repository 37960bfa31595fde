/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's fixed-width integer names (u8 .. u64, s8 .. s64) for the
 * core's userspace builds: the unit tests, the fuzzers, the benchmarks and
 * sipalgctl compile the same files as the module, which gets these names
 * from <linux/types.h>. Only sipcore.h includes this, outside the kernel.
 */
#ifndef SIPALG_SA_TYPES_H
#define SIPALG_SA_TYPES_H

#ifdef __KERNEL__
#error "sa_types.h is for userspace builds; the kernel has <linux/types.h>"
#endif

#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#endif
