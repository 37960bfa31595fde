// SPDX-License-Identifier: GPL-2.0
/*
 * siploadgen: a SIP load generator and sink for the router benchmark
 * (tests/bench-e2e/bench-guest.sh). Sends a fixed number of pre-built SIP
 * messages, cycling REGISTER, INVITE with SDP and 200 OK with SDP, over UDP
 * (one datagram each) or one TCP connection, as fast as the stack takes
 * them; the sink counts what arrives.
 *
 * Over TCP, SIPLOADGEN_SEG chooses the segmentation: "msg" (the default)
 * writes the next message only once the kernel has sent every byte of the
 * one before (SIOCOUTQNSD is 0), so with TCP_NODELAY each message leaves
 * in a segment of its own, the same packets in every run and through every
 * router, as phones send; "stream" writes them back to back, and the stack
 * packs and splits them as its congestion window allows, which differs
 * from run to run.
 *
 *   siploadgen send {udp|tcp} SRCIP SRCPORT DSTIP DSTPORT COUNT
 *   siploadgen sink {udp|tcp} BINDIP PORT COUNT [IDLE_MS]
 *
 * SRCPORT 0 lets the kernel pick. The messages name SRCIP and the source port
 * in Via and Contact, SRCIP in SDP, and DSTIP in the Request-URI, as a phone
 * behind the router would.
 * The sink exits once COUNT messages arrived, or after IDLE_MS (default 2000)
 * without traffic once something arrived (30 s before the first message).
 * It prints one line:
 *   sink PROTO received N bytes B first_to_last_s T rate R [reset] [garbled]
 * ("garbled": over TCP, messages arrived that start with none of the three
 * start lines, the stream was corrupted; a second line gives their number)
 * and the sender:
 *   send PROTO sent N bytes B in T s rate R
 * UDP counts datagrams; TCP counts whole messages, framed by the end of the
 * headers and Content-Length (the router may have changed their lengths).
 *
 * SIPLOADGEN_MIX=5 adds a re-INVITE with SDP and a BYE (in the INVITE's
 * dialog) to the cycle (make bench-helper); the default is the three.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NMSG 5

/* messages cycled: the first 3, or all 5 with SIPLOADGEN_MIX=5 */
static int nmsg = 3;
#define MSGMAX 2048

static char msgs[NMSG][MSGMAX];
static size_t lens[NMSG];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static size_t sdp(char *buf, size_t sz, const char *ip, unsigned int port)
{
	int n = snprintf(buf, sz,
			 "v=0\r\n"
			 "o=bench 4242 4242 IN IP4 %s\r\n"
			 "s=bench\r\n"
			 "c=IN IP4 %s\r\n"
			 "t=0 0\r\n"
			 "m=audio %u RTP/AVP 0 8 101\r\n"
			 "a=rtpmap:0 PCMU/8000\r\n"
			 "a=rtpmap:8 PCMA/8000\r\n"
			 "a=rtpmap:101 telephone-event/8000\r\n"
			 "a=sendrecv\r\n",
			 ip, ip, port);
	if (n < 0 || (size_t)n >= sz) {
		fprintf(stderr, "sdp too long\n");
		exit(1);
	}
	return (size_t)n;
}

static void put(int i, int n)
{
	if (n < 0 || n >= MSGMAX) {
		fprintf(stderr, "message %d too long\n", i);
		exit(1);
	}
	lens[i] = (size_t)n;
}

/* the three messages, as the phone at src:sport sends them to dst:dport */
static void build(const char *tr, const char *src, unsigned int sport,
		  const char *dst, unsigned int dport)
{
	char body[1024];
	size_t bl;

	put(0, snprintf(msgs[0], MSGMAX,
			"REGISTER sip:%s:%u SIP/2.0\r\n"
			"Via: SIP/2.0/%s %s:%u;branch=z9hG4bK-bench-reg\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:bench@%s>;tag=bench-r1\r\n"
			"To: <sip:bench@%s>\r\n"
			"Call-ID: bench-reg@%s\r\n"
			"CSeq: 1 REGISTER\r\n"
			"Contact: <sip:bench@%s:%u>\r\n"
			"Expires: 3600\r\n"
			"User-Agent: siploadgen\r\n"
			"Content-Length: 0\r\n\r\n",
			dst, dport, tr, src, sport, dst, dst, src, src, sport));

	bl = sdp(body, sizeof(body), src, 16000);
	put(1, snprintf(msgs[1], MSGMAX,
			"INVITE sip:echo@%s:%u SIP/2.0\r\n"
			"Via: SIP/2.0/%s %s:%u;branch=z9hG4bK-bench-inv\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:bench@%s>;tag=bench-i1\r\n"
			"To: <sip:echo@%s>\r\n"
			"Call-ID: bench-inv@%s\r\n"
			"CSeq: 1 INVITE\r\n"
			"Contact: <sip:bench@%s:%u>\r\n"
			"Content-Type: application/sdp\r\n"
			"User-Agent: siploadgen\r\n"
			"Content-Length: %zu\r\n\r\n%s",
			dst, dport, tr, src, sport, dst, dst, src, src, sport,
			bl, body));

	/* the phone answers a call the server placed to it */
	bl = sdp(body, sizeof(body), src, 16002);
	put(2, snprintf(msgs[2], MSGMAX,
			"SIP/2.0 200 OK\r\n"
			"Via: SIP/2.0/%s %s:%u;branch=z9hG4bK-bench-in\r\n"
			"From: <sip:echo@%s>;tag=bench-s1\r\n"
			"To: <sip:bench@%s>;tag=bench-a1\r\n"
			"Call-ID: bench-in@%s\r\n"
			"CSeq: 1 INVITE\r\n"
			"Contact: <sip:bench@%s:%u>\r\n"
			"Content-Type: application/sdp\r\n"
			"User-Agent: siploadgen\r\n"
			"Content-Length: %zu\r\n\r\n%s",
			tr, dst, dport, dst, dst, dst, src, sport, bl, body));

	/* SIPLOADGEN_MIX=5: a re-INVITE (new media port) and a BYE in the
	 * dialog of the INVITE
	 */
	bl = sdp(body, sizeof(body), src, 16004);
	put(3, snprintf(msgs[3], MSGMAX,
			"INVITE sip:echo@%s:%u SIP/2.0\r\n"
			"Via: SIP/2.0/%s %s:%u;branch=z9hG4bK-bench-reinv\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:bench@%s>;tag=bench-i1\r\n"
			"To: <sip:echo@%s>;tag=bench-e1\r\n"
			"Call-ID: bench-inv@%s\r\n"
			"CSeq: 2 INVITE\r\n"
			"Contact: <sip:bench@%s:%u>\r\n"
			"Content-Type: application/sdp\r\n"
			"User-Agent: siploadgen\r\n"
			"Content-Length: %zu\r\n\r\n%s",
			dst, dport, tr, src, sport, dst, dst, src, src, sport,
			bl, body));
	put(4, snprintf(msgs[4], MSGMAX,
			"BYE sip:echo@%s:%u SIP/2.0\r\n"
			"Via: SIP/2.0/%s %s:%u;branch=z9hG4bK-bench-bye\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:bench@%s>;tag=bench-i1\r\n"
			"To: <sip:echo@%s>;tag=bench-e1\r\n"
			"Call-ID: bench-inv@%s\r\n"
			"CSeq: 3 BYE\r\n"
			"User-Agent: siploadgen\r\n"
			"Content-Length: 0\r\n\r\n",
			dst, dport, tr, src, sport, dst, dst, src));
}

static int proto_of(const char *s)
{
	if (!strcmp(s, "udp"))
		return SOCK_DGRAM;
	if (!strcmp(s, "tcp"))
		return SOCK_STREAM;
	fprintf(stderr, "protocol must be udp or tcp, not %s\n", s);
	exit(2);
}

static void addr(struct sockaddr_in *a, const char *ip, const char *port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((unsigned short)atoi(port));
	if (inet_pton(AF_INET, ip, &a->sin_addr) != 1) {
		fprintf(stderr, "bad IPv4 address %s\n", ip);
		exit(2);
	}
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		p += n;
		len -= (size_t)n;
	}
}

/* TCP, SIPLOADGEN_SEG=msg: wait until the kernel has sent all we wrote */
static void wait_unsent(int fd)
{
	const struct timespec ts = { 0, 20000 };
	int unsent;

	for (;;) {
		if (ioctl(fd, SIOCOUTQNSD, &unsent))
			die("ioctl SIOCOUTQNSD");
		if (!unsent)
			return;
		nanosleep(&ts, NULL);
	}
}

static int do_send(char **argv)
{
	int type = proto_of(argv[0]);
	struct sockaddr_in s, d;
	long count = atol(argv[5]), i;
	unsigned long long bytes = 0;
	int fd, one = 1, sbuf = 4 << 20;
	socklen_t sl;
	unsigned int limit = getenv("SIPLOADGEN_LIMIT") ?
		(unsigned int)atoi(getenv("SIPLOADGEN_LIMIT")) : 120;
	const char *seg = getenv("SIPLOADGEN_SEG");
	const char *mix = getenv("SIPLOADGEN_MIX");
	int per_msg = 1;
	double t0, t;

	if (seg && !strcmp(seg, "stream")) {
		per_msg = 0;
	} else if (seg && *seg && strcmp(seg, "msg")) {
		fprintf(stderr, "SIPLOADGEN_SEG must be msg or stream, not %s\n",
			seg);
		exit(2);
	}
	if (mix && !strcmp(mix, "5")) {
		nmsg = 5;
	} else if (mix && *mix && strcmp(mix, "3")) {
		fprintf(stderr, "SIPLOADGEN_MIX must be 3 or 5, not %s\n", mix);
		exit(2);
	}
	addr(&s, argv[1], argv[2]);
	addr(&d, argv[3], argv[4]);
	fd = socket(AF_INET, type, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sbuf, sizeof(sbuf));
	if (bind(fd, (struct sockaddr *)&s, sizeof(s)))
		die("bind");
	if (connect(fd, (struct sockaddr *)&d, sizeof(d)))
		die("connect");
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/*
	 * the port the kernel picked for SRCPORT 0: the messages must name
	 * the port they are sent from, or the router has nothing to rewrite
	 */
	sl = sizeof(s);
	if (getsockname(fd, (struct sockaddr *)&s, &sl))
		die("getsockname");
	build(type == SOCK_STREAM ? "TCP" : "UDP", argv[1], ntohs(s.sin_port),
	      argv[3], ntohs(d.sin_port));

	/* a router that stalls the stream must not hang the benchmark */
	alarm(limit);
	t0 = now();
	for (i = 0; i < count; i++) {
		int m = (int)(i % nmsg);

		if (type == SOCK_STREAM) {
			if (per_msg)
				wait_unsent(fd);
			write_all(fd, msgs[m], lens[m]);
		} else {
			while (send(fd, msgs[m], lens[m], 0) < 0) {
				/* a full queue: wait for it, do not drop */
				if (errno != ENOBUFS && errno != EAGAIN &&
				    errno != EINTR)
					die("send");
				usleep(100);
			}
		}
		bytes += lens[m];
	}
	if (type == SOCK_STREAM)
		shutdown(fd, SHUT_WR);
	t = now() - t0;
	printf("send %s sent %ld bytes %llu in %.3f s rate %.0f\n", argv[0],
	       count, bytes, t, t > 0 ? count / t : 0.0);
	if (type == SOCK_STREAM) {
		/* wait for the sink to close: all bytes delivered */
		char b[256];

		while (recv(fd, b, sizeof(b), 0) > 0)
			;
	}
	close(fd);
	return 0;
}

/*
 * TCP: count whole messages in the stream. The router may have rewritten
 * them (lengths change), so frame each by its header end and Content-Length.
 */
static char sbuf[1 << 20];
static size_t slen;
static long bad;	/* messages that start with none of the three start lines */

static long content_length(const char *h, size_t hl)
{
	size_t i;

	for (i = 0; i + 2 < hl; i++) {
		if (i && h[i - 1] != '\n')
			continue;
		if (!strncasecmp(h + i, "Content-Length:", 15))
			return strtol(h + i + 15, NULL, 10);
		if (!strncasecmp(h + i, "l:", 2))
			return strtol(h + i + 2, NULL, 10);
	}
	return 0;
}

static long tcp_count(const char *p, size_t n)
{
	long msgs = 0;
	size_t off = 0;

	if (slen + n > sizeof(sbuf)) {
		fprintf(stderr, "sink: message larger than the buffer\n");
		exit(1);
	}
	memcpy(sbuf + slen, p, n);
	slen += n;
	for (;;) {
		char *e = memmem(sbuf + off, slen - off, "\r\n\r\n", 4);
		size_t hl, total;
		long cl;

		if (!e)
			break;
		hl = (size_t)(e - (sbuf + off)) + 4;
		cl = content_length(sbuf + off, hl);
		total = hl + (size_t)(cl > 0 ? cl : 0);
		if (slen - off < total)
			break;
		if (strncmp(sbuf + off, "REGISTER ", 9) &&
		    strncmp(sbuf + off, "INVITE ", 7) &&
		    strncmp(sbuf + off, "BYE ", 4) &&
		    strncmp(sbuf + off, "SIP/2.0 200 ", 12))
			bad++;
		off += total;
		msgs++;
	}
	memmove(sbuf, sbuf + off, slen - off);
	slen -= off;
	return msgs;
}

static int do_sink(int argc, char **argv)
{
	int type = proto_of(argv[0]);
	long count = atol(argv[3]), got = 0;
	int idle = argc > 4 ? atoi(argv[4]) : 2000;
	unsigned long long bytes = 0;
	struct sockaddr_in a;
	int fd, one = 1, rbuf = 64 << 20, c = -1, reset = 0;
	double first = 0, last = 0;
	static char buf[1 << 16];

	addr(&a, argv[1], argv[2]);
	fd = socket(AF_INET, type, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rbuf, sizeof(rbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rbuf, sizeof(rbuf));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
	if (type == SOCK_STREAM) {
		if (listen(fd, 4))
			die("listen");
	}
	printf("sink %s listening\n", argv[0]);
	fflush(stdout);

	if (type == SOCK_STREAM) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		char pip[INET_ADDRSTRLEN];
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 30000) <= 0) {
			fprintf(stderr, "sink: no connection\n");
			return 1;
		}
		c = accept(fd, (struct sockaddr *)&peer, &pl);
		if (c < 0)
			die("accept");
		setsockopt(c, SOL_SOCKET, SO_RCVBUFFORCE, &rbuf, sizeof(rbuf));
		inet_ntop(AF_INET, &peer.sin_addr, pip, sizeof(pip));
		printf("sink tcp connection from %s\n", pip);
	}
	for (;;) {
		struct pollfd p = { .fd = c >= 0 ? c : fd, .events = POLLIN };
		int r = poll(&p, 1, got ? idle : 30000);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = recv(p.fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ECONNRESET)
				die("recv");
			reset = 1;
			break;
		}
		if (n == 0)
			break;
		last = now();
		if (!first)
			first = last;
		bytes += (unsigned long long)n;
		if (type == SOCK_DGRAM)
			got++;
		else
			got += tcp_count(buf, (size_t)n);
		if (got >= count)
			break;
	}
	printf("sink %s received %ld bytes %llu first_to_last_s %.3f rate %.0f%s%s\n",
	       argv[0], got, bytes, last - first,
	       last > first ? got / (last - first) : 0.0, reset ? " reset" : "",
	       bad ? " garbled" : "");
	if (bad)
		printf("sink %s garbled %ld (messages starting with no known start line)\n",
		       argv[0], bad);
	if (c >= 0)
		close(c);
	close(fd);
	return got >= count ? 0 : 3;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: siploadgen send {udp|tcp} SRCIP SRCPORT DSTIP DSTPORT COUNT\n"
		"       siploadgen sink {udp|tcp} BINDIP PORT COUNT [IDLE_MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 8 && !strcmp(argv[1], "send"))
		return do_send(argv + 2);
	if (argc >= 6 && !strcmp(argv[1], "sink"))
		return do_sink(argc - 2, argv + 2);
	usage();
	return 2;
}
