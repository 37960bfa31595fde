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
 *
 * Scale (bench-guest.sh's registrations and concurrent calls):
 *
 *   siploadgen phones reg  SRCIPS DSTIPS DSTPORT N
 *   siploadgen phones call SRCIPS DSTIPS DSTPORT M
 *   siploadgen registrar BINDIPS PORT [via|source]
 *
 * IP lists are comma separated. phones opens one UDP socket per phone (or
 * call), phone i on SRCIPS[i % n] towards DSTIPS[i % n]; its port is
 * SIPLOADGEN_PORT_BASE + i / n, or one the kernel picks when that is 0 (the
 * default). reg: each phone sends one REGISTER naming its own address:port
 * in Via (no ;rport) and Contact and waits for its 200. call: each sends an
 * INVITE with SDP (media port 20000 + 2i, unique), ACKs the 200 with SDP;
 * once every call is up (or failed) they are all held, then each sends BYE
 * and waits for its 200. Requests are retransmitted as RFC 3261's timer A
 * says (T1 SIPLOADGEN_T1_MS, 500 ms, doubling) until timer B (64 T1) fails
 * them; at most SIPLOADGEN_WINDOW (200) are outstanding at once, started at
 * most SIPLOADGEN_RATE per second (0: as the window allows). With
 * SIPLOADGEN_HOLD=PATH it prints "holding" once all are registered / up and
 * waits (at most an hour) for PATH to exist or a SIGUSR1 (reg: then exits;
 * call: then the BYEs), so that the router's tables can be read at the
 * peak. Prints
 *   phones reg sent N ok K failed F retrans R wall_s T rate X
 *   phones call up ok K failed F retrans R wall_s T
 *   phones call sent M ok K failed F setup_failed S bye_failed B retrans R wall_s T
 * and exits 3 when anything failed; every 5 s a progress line goes to
 * stderr (started, outstanding, ok, failed, retransmissions).
 *
 * registrar answers REGISTER (200, Contact echoed with ;expires=3600), INVITE
 * (200 with SDP) and BYE (200), stateless. "via" (the default) sends each
 * response where RFC 3261 18.2.2 says for a Via without ;rport: the source
 * IP and the top Via's sent-by port, so a phone's private port that the
 * router did not rewrite gets no answer; "source" answers the source
 * address:port (the no-helper baseline). On SIGTERM it prints
 *   registrar register R invite I ack A bye B other O via_not_source V
 * (V: requests whose top Via host is not their source address: the router
 * left the private address in).
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
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
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

/* ---- scale: phones and registrar ------------------------------------------ */

#define IPL_MAX 16

static void usage(void);

struct ipl {
	int n;
	struct in_addr a[IPL_MAX];
	char s[IPL_MAX][INET_ADDRSTRLEN];
};

static void ipl_parse(struct ipl *l, const char *arg)
{
	char buf[IPL_MAX * INET_ADDRSTRLEN + IPL_MAX], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(buf)) {
		fprintf(stderr, "address list too long: %s\n", arg);
		exit(2);
	}
	strcpy(buf, arg);
	l->n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (l->n == IPL_MAX || inet_pton(AF_INET, tok, &l->a[l->n]) != 1) {
			fprintf(stderr, "bad address list %s (at most %d IPv4 addresses)\n",
				arg, IPL_MAX);
			exit(2);
		}
		inet_ntop(AF_INET, &l->a[l->n], l->s[l->n], INET_ADDRSTRLEN);
		l->n++;
	}
	if (!l->n) {
		fprintf(stderr, "empty address list\n");
		exit(2);
	}
}

static long env_num(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	n = strtol(v, &end, 10);
	if (*end || n < min || n > max) {
		fprintf(stderr, "%s must be a number from %ld to %ld, not %s\n",
			name, min, max, v);
		exit(2);
	}
	return n;
}

/* the value of header NAME (or its compact form C) in a SIP message */
static int sip_hdr(const char *m, size_t len, const char *name, char c,
		   char *out, size_t osz)
{
	const char *p = m, *end = m + len, *eol, *v;
	size_t nl = strlen(name);

	/* skip the start line */
	eol = memmem(p, (size_t)(end - p), "\r\n", 2);
	if (!eol)
		return -1;
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol || eol == p)
			return -1;	/* end of the headers */
		v = NULL;
		if ((size_t)(eol - p) > nl && !strncasecmp(p, name, nl) &&
		    (p[nl] == ':' || p[nl] == ' '))
			v = p + nl;
		else if (c && eol - p > 1 && (p[0] == c || p[0] == (c ^ 0x20)) &&
			 (p[1] == ':' || p[1] == ' '))
			v = p + 1;
		if (!v)
			continue;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		if (v == eol || *v != ':')
			continue;
		v++;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		if ((size_t)(eol - v) >= osz)
			return -1;
		memcpy(out, v, (size_t)(eol - v));
		out[eol - v] = 0;
		return 0;
	}
	return -1;
}

static volatile sig_atomic_t sig_go, sig_stop;

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		sig_go = 1;
	else
		sig_stop = 1;
}

static void raise_nofile(long need)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		die("getrlimit");
	if ((long)r.rlim_cur >= need)
		return;
	r.rlim_cur = (rlim_t)need;
	if ((long)r.rlim_max < need)
		r.rlim_max = (rlim_t)need;
	if (setrlimit(RLIMIT_NOFILE, &r)) {
		fprintf(stderr, "phones: cannot raise RLIMIT_NOFILE to %ld: %s\n",
			need, strerror(errno));
		exit(1);
	}
}

enum { P_IDLE, P_WAIT, P_OK, P_FAIL, P_UP, P_BYE, P_DONE, P_BYEFAIL };

struct phone {
	int fd;
	unsigned short sport;
	unsigned char state;
	int slot;		/* in the window, or -1 */
	double start, next, ival;
	char totag[48];
};

static struct {
	int call;		/* call mode (else reg) */
	struct ipl src, dst;
	unsigned int dport;
	long n;
	struct phone *ph;
	int *win;		/* phones with a request outstanding */
	long nwin, window;
	double t1, rate, report;
	long retrans;
	int ep;
	unsigned int pid;
} pg;

static const char *ph_src(long i)
{
	return pg.src.s[i % pg.src.n];
}

static const char *ph_dst(long i)
{
	return pg.dst.s[i % pg.dst.n];
}

/* the request phone i has outstanding (its state says which) */
static size_t ph_build(long i, int ack, char *b, size_t sz)
{
	struct phone *p = &pg.ph[i];
	const char *src = ph_src(i), *dst = ph_dst(i);
	char body[1024];
	size_t bl;
	int n;

	if (!pg.call) {
		n = snprintf(b, sz,
			     "REGISTER sip:%s:%u SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-r%u-%ld\r\n"
			     "Max-Forwards: 70\r\n"
			     "From: <sip:p%ld@%s>;tag=f%ld\r\n"
			     "To: <sip:p%ld@%s>\r\n"
			     "Call-ID: r%ld-%u@%s\r\n"
			     "CSeq: 1 REGISTER\r\n"
			     "Contact: <sip:p%ld@%s:%u>\r\n"
			     "Expires: 3600\r\n"
			     "User-Agent: siploadgen\r\n"
			     "Content-Length: 0\r\n\r\n",
			     dst, pg.dport, src, p->sport, pg.pid, i, i, dst, i,
			     i, dst, i, pg.pid, src, i, src, p->sport);
	} else if (ack || p->state == P_BYE) {
		const char *m = ack ? "ACK" : "BYE";

		n = snprintf(b, sz,
			     "%s sip:echo@%s:%u SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-%c%u-%ld\r\n"
			     "Max-Forwards: 70\r\n"
			     "From: <sip:p%ld@%s>;tag=f%ld\r\n"
			     "To: <sip:echo@%s>;tag=%s\r\n"
			     "Call-ID: c%ld-%u@%s\r\n"
			     "CSeq: %d %s\r\n"
			     "User-Agent: siploadgen\r\n"
			     "Content-Length: 0\r\n\r\n",
			     m, dst, pg.dport, src, p->sport, ack ? 'a' : 'b',
			     pg.pid, i, i, dst, i, dst, p->totag, i, pg.pid, src,
			     ack ? 1 : 2, m);
	} else {
		bl = sdp(body, sizeof(body), src, (unsigned int)(20000 + 2 * i));
		n = snprintf(b, sz,
			     "INVITE sip:echo@%s:%u SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-i%u-%ld\r\n"
			     "Max-Forwards: 70\r\n"
			     "From: <sip:p%ld@%s>;tag=f%ld\r\n"
			     "To: <sip:echo@%s>\r\n"
			     "Call-ID: c%ld-%u@%s\r\n"
			     "CSeq: 1 INVITE\r\n"
			     "Contact: <sip:p%ld@%s:%u>\r\n"
			     "Content-Type: application/sdp\r\n"
			     "User-Agent: siploadgen\r\n"
			     "Content-Length: %zu\r\n\r\n%s",
			     dst, pg.dport, src, p->sport, pg.pid, i, i, dst, i,
			     dst, i, pg.pid, src, i, src, p->sport, bl, body);
	}
	if (n < 0 || (size_t)n >= sz) {
		fprintf(stderr, "phones: message too long\n");
		exit(1);
	}
	return (size_t)n;
}

static void ph_send(long i, int ack)
{
	struct sockaddr_in d;
	char b[MSGMAX];
	size_t len = ph_build(i, ack, b, sizeof(b));

	memset(&d, 0, sizeof(d));
	d.sin_family = AF_INET;
	d.sin_port = htons((unsigned short)pg.dport);
	d.sin_addr = pg.dst.a[i % pg.dst.n];
	/* a full queue is a loss: timer A sends it again */
	if (sendto(pg.ph[i].fd, b, len, 0, (struct sockaddr *)&d, sizeof(d)) < 0 &&
	    errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
		die("sendto");
}

static void win_del(long i)
{
	struct phone *p = &pg.ph[i];
	int last = pg.win[--pg.nwin];

	pg.win[p->slot] = last;
	pg.ph[last].slot = p->slot;
	p->slot = -1;
}

static void ph_open(long i, long base)
{
	struct phone *p = &pg.ph[i];
	struct sockaddr_in a;
	struct epoll_event ev = { .events = EPOLLIN };
	socklen_t al = sizeof(a);
	long port = base ? base + i / pg.src.n : 0;

	if (port > 65535) {
		fprintf(stderr, "phones: %ld phones do not fit %d address(es) from port %ld\n",
			pg.n, pg.src.n, base);
		exit(2);
	}
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		die("socket");
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr = pg.src.a[i % pg.src.n];
	a.sin_port = htons((unsigned short)port);
	if (bind(p->fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "phones: bind %s:%ld: %s\n", ph_src(i), port,
			strerror(errno));
		exit(1);
	}
	if (getsockname(p->fd, (struct sockaddr *)&a, &al))
		die("getsockname");
	p->sport = ntohs(a.sin_port);
	p->slot = -1;
	ev.data.u64 = (uint64_t)i;
	if (epoll_ctl(pg.ep, EPOLL_CTL_ADD, p->fd, &ev))
		die("epoll_ctl");
}

/* a response arrived on phone i's socket */
static void ph_recv(long i)
{
	struct phone *p = &pg.ph[i];
	char b[MSGMAX + 1], v[256], want[96];
	ssize_t n;
	int code;

	while ((n = recv(p->fd, b, MSGMAX, 0)) >= 0) {
		b[n] = 0;
		if (strncmp(b, "SIP/2.0 ", 8))
			continue;
		code = atoi(b + 8);
		snprintf(want, sizeof(want), "%c%ld-%u@%s", pg.call ? 'c' : 'r',
			 i, pg.pid, ph_src(i));
		if (sip_hdr(b, (size_t)n, "Call-ID", 'i', v, sizeof(v)) ||
		    strcmp(v, want) || sip_hdr(b, (size_t)n, "CSeq", 0, v, sizeof(v)))
			continue;
		if (code < 200)
			continue;
		if (pg.call && strstr(v, "INVITE")) {
			char to[256], *t;

			if (p->state != P_WAIT && p->state != P_UP)
				continue;
			if (code >= 300) {
				p->state = P_FAIL;
				win_del(i);
				continue;
			}
			if (sip_hdr(b, (size_t)n, "To", 't', to, sizeof(to)) ||
			    !(t = strstr(to, ";tag=")))
				continue;
			snprintf(p->totag, sizeof(p->totag), "%.*s",
				 (int)strcspn(t + 5, ";> "), t + 5);
			/* a retransmitted 200 gets its ACK again */
			ph_send(i, 1);
			if (p->state == P_WAIT) {
				p->state = P_UP;
				win_del(i);
			}
		} else if (p->state == P_WAIT || p->state == P_BYE) {
			int bye = p->state == P_BYE;

			if (code >= 300)
				p->state = bye ? P_BYEFAIL : P_FAIL;
			else
				p->state = bye ? P_DONE : P_OK;
			win_del(i);
		}
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
	    errno != ECONNREFUSED)
		die("recv");
}

static long ph_count(int state)
{
	long i, c = 0;

	for (i = 0; i < pg.n; i++)
		c += pg.ph[i].state == state;
	return c;
}

/* run one transaction per phone in state FROM (WAIT: INVITE/REGISTER, BYE) */
static void ph_run(int from, int next)
{
	struct epoll_event evs[256];
	double t0 = now(), t;
	long i = 0, started = 0, k;
	int j, r;

	for (;;) {
		t = now();
		/* start more, within the window and the rate */
		while (i < pg.n && pg.nwin < pg.window &&
		       (pg.rate <= 0 || started < (t - t0) * pg.rate + 1)) {
			struct phone *p = &pg.ph[i];

			if (p->state != from) {
				i++;
				continue;
			}
			p->state = (unsigned char)next;
			p->start = t;
			p->ival = pg.t1;
			p->next = t + pg.t1;
			p->slot = (int)pg.nwin;
			pg.win[pg.nwin++] = (int)i;
			ph_send(i, 0);
			started++;
			i++;
		}
		if (i >= pg.n && !pg.nwin)
			return;
		if (t >= pg.report) {
			fprintf(stderr, "phones progress %.0f s: started %ld of %ld, outstanding %ld, ok %ld, failed %ld, retrans %ld\n",
				t - t0, started, pg.n, pg.nwin,
				ph_count(P_OK) + ph_count(P_UP) + ph_count(P_DONE),
				ph_count(P_FAIL) + ph_count(P_BYEFAIL), pg.retrans);
			pg.report = t + 5;
		}
		r = epoll_wait(pg.ep, evs, 256, 10);
		if (r < 0 && errno != EINTR)
			die("epoll_wait");
		for (j = 0; j < r; j++)
			ph_recv((long)evs[j].data.u64);
		/* timer A: send again, doubling; timer B: give up */
		t = now();
		for (k = 0; k < pg.nwin; k++) {
			long x = pg.win[k];
			struct phone *p = &pg.ph[x];

			if (t < p->next)
				continue;
			if (t - p->start >= 64 * pg.t1) {
				p->state = p->state == P_BYE ? P_BYEFAIL : P_FAIL;
				win_del(x);
				k--;
				continue;
			}
			ph_send(x, 0);
			pg.retrans++;
			p->ival *= 2;
			p->next = t + p->ival;
		}
	}
}

/* SIPLOADGEN_HOLD=PATH: wait for SIGUSR1 or PATH to exist, at most an hour */
static void hold(const char *what)
{
	const char *path = getenv("SIPLOADGEN_HOLD");
	const struct timespec ts = { 0, 50000000 };
	double t0 = now();

	if (!path || !*path)
		return;
	printf("phones %s holding\n", what);
	while (!sig_go && !sig_stop && access(path, F_OK) && now() - t0 < 3600)
		nanosleep(&ts, NULL);
}

static int do_phones(char **argv)
{
	long base = env_num("SIPLOADGEN_PORT_BASE", 0, 0, 65535), i, ok, fail;
	double t0, t;

	signal(SIGUSR1, on_sig);
	signal(SIGTERM, on_sig);
	if (!strcmp(argv[0], "call"))
		pg.call = 1;
	else if (strcmp(argv[0], "reg"))
		usage();
	ipl_parse(&pg.src, argv[1]);
	ipl_parse(&pg.dst, argv[2]);
	pg.dport = (unsigned int)atoi(argv[3]);
	pg.n = atol(argv[4]);
	/* the media ports 20000 + 2i stay below 65535 */
	if (pg.n < 1 || pg.n > (pg.call ? 22000 : 1000000)) {
		fprintf(stderr, "phones: %s count from 1 to %d\n", argv[0],
			pg.call ? 22000 : 1000000);
		exit(2);
	}
	pg.window = env_num("SIPLOADGEN_WINDOW", 200, 1, 100000);
	pg.rate = (double)env_num("SIPLOADGEN_RATE", 0, 0, 10000000);
	pg.t1 = env_num("SIPLOADGEN_T1_MS", 500, 1, 60000) / 1000.0;
	pg.pid = (unsigned int)getpid();
	raise_nofile(pg.n + 64);
	pg.ph = calloc((size_t)pg.n, sizeof(*pg.ph));
	pg.win = calloc((size_t)pg.window, sizeof(*pg.win));
	if (!pg.ph || !pg.win)
		die("calloc");
	pg.ep = epoll_create1(EPOLL_CLOEXEC);
	if (pg.ep < 0)
		die("epoll_create1");
	for (i = 0; i < pg.n; i++)
		ph_open(i, base);
	pg.report = now() + 5;

	t0 = now();
	ph_run(P_IDLE, P_WAIT);
	t = now() - t0;
	if (!pg.call) {
		ok = ph_count(P_OK);
		printf("phones reg sent %ld ok %ld failed %ld retrans %ld wall_s %.3f rate %.0f\n",
		       pg.n, ok, pg.n - ok, pg.retrans, t, t > 0 ? ok / t : 0.0);
		hold("reg");
		return ok == pg.n ? 0 : 3;
	}
	ok = ph_count(P_UP);
	printf("phones call up ok %ld failed %ld retrans %ld wall_s %.3f\n",
	       ok, pg.n - ok, pg.retrans, t);
	hold("call");
	/* every call up, BYE */
	t0 = now();
	ph_run(P_UP, P_BYE);
	t += now() - t0;
	ok = ph_count(P_DONE);
	fail = pg.n - ok;
	printf("phones call sent %ld ok %ld failed %ld setup_failed %ld bye_failed %ld retrans %ld wall_s %.3f\n",
	       pg.n, ok, fail, ph_count(P_FAIL) + ph_count(P_IDLE),
	       ph_count(P_BYEFAIL), pg.retrans, t);
	return fail ? 3 : 0;
}

/* the To tag of a dialog, the same for a retransmitted INVITE */
static unsigned int tag_of(const char *cid)
{
	unsigned int h = 2166136261u;

	while (*cid)
		h = (h ^ (unsigned char)*cid++) * 16777619u;
	return h;
}

/* RFC 3261 18.2.2 without ;rport: the source IP and the sent-by port */
static void via_dest(const char *via, struct sockaddr_in *to, int by_via)
{
	const char *sb, *c;
	char host[64];
	size_t hl;

	if (!by_via || !(sb = strchr(via, ' ')))
		return;
	while (*sb == ' ')
		sb++;
	hl = strcspn(sb, ":;, ");
	if (hl >= sizeof(host))
		return;
	memcpy(host, sb, hl);
	host[hl] = 0;
	c = sb + hl;
	/* ;rport (no value): the source port, as it stands */
	if (strstr(c, ";rport") && !strstr(c, ";rport="))
		return;
	to->sin_port = htons(*c == ':' ? (unsigned short)atoi(c + 1) : 5060);
}

static int do_registrar(int argc, char **argv)
{
	struct ipl bind_ips;
	unsigned int port = (unsigned int)atoi(argv[1]), media = 0;
	int by_via = 1, fds[IPL_MAX], ep, i, rbuf = 16 << 20;
	long cnt[5] = { 0 }, via_ns = 0;	/* register invite ack bye other */
	struct epoll_event ev = { .events = EPOLLIN }, evs[16];
	static char b[MSGMAX + 1], out[MSGMAX * 2];

	ipl_parse(&bind_ips, argv[0]);
	if (argc > 2 && !strcmp(argv[2], "source"))
		by_via = 0;
	else if (argc > 2 && strcmp(argv[2], "via"))
		usage();
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	for (i = 0; i < bind_ips.n; i++) {
		struct sockaddr_in a;

		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_port = htons((unsigned short)port);
		a.sin_addr = bind_ips.a[i];
		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0)
			die("socket");
		if (setsockopt(fds[i], SOL_SOCKET, SO_RCVBUFFORCE, &rbuf, sizeof(rbuf)))
			setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rbuf, sizeof(rbuf));
		if (bind(fds[i], (struct sockaddr *)&a, sizeof(a)))
			die("bind");
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			die("epoll_ctl");
	}
	printf("registrar listening\n");
	while (!sig_stop) {
		int r = epoll_wait(ep, evs, 16, 500), j;

		if (r < 0 && errno != EINTR)
			die("epoll_wait");
		for (j = 0; j < r; j++) {
			int fd = fds[evs[j].data.u32];
			const char *lip = bind_ips.s[evs[j].data.u32];

			for (;;) {
				struct sockaddr_in from, to;
				socklen_t fl = sizeof(from);
				char via[256], f[256], t[256], cid[128], cseq[64], ctc[256];
				char vias[1024], fip[INET_ADDRSTRLEN], body[1024];
				size_t vl = 0, bl = 0, ol;
				ssize_t n = recvfrom(fd, b, MSGMAX, 0,
						     (struct sockaddr *)&from, &fl);
				const char *p, *e;
				int kind, o;

				if (n < 0)
					break;
				b[n] = 0;
				if (!strncmp(b, "REGISTER ", 9))
					kind = 0;
				else if (!strncmp(b, "INVITE ", 7))
					kind = 1;
				else if (!strncmp(b, "ACK ", 4))
					kind = 2;
				else if (!strncmp(b, "BYE ", 4))
					kind = 3;
				else
					kind = 4;
				cnt[kind]++;
				if (kind == 2 || kind == 4)
					continue;
				if (sip_hdr(b, (size_t)n, "Via", 'v', via, sizeof(via)) ||
				    sip_hdr(b, (size_t)n, "From", 'f', f, sizeof(f)) ||
				    sip_hdr(b, (size_t)n, "To", 't', t, sizeof(t)) ||
				    sip_hdr(b, (size_t)n, "Call-ID", 'i', cid, sizeof(cid)) ||
				    sip_hdr(b, (size_t)n, "CSeq", 0, cseq, sizeof(cseq))) {
					cnt[kind]--;
					cnt[4]++;
					continue;
				}
				inet_ntop(AF_INET, &from.sin_addr, fip, sizeof(fip));
				p = strchr(via, ' ');
				if (!p || strncmp(p + 1, fip, strlen(fip)) ||
				    (p[1 + strlen(fip)] != ':' && p[1 + strlen(fip)] != ';'))
					via_ns++;
				/* every Via line, in order, as the response's */
				for (p = b; (p = strstr(p, "\r\n")) && p[2] != '\r'; p = e) {
					p += 2;
					e = strstr(p, "\r\n");
					if (!e)
						break;
					if (!strncasecmp(p, "Via:", 4) || !strncasecmp(p, "v:", 2)) {
						if (vl + (size_t)(e - p) + 2 >= sizeof(vias))
							break;
						memcpy(vias + vl, p, (size_t)(e - p) + 2);
						vl += (size_t)(e - p) + 2;
					}
				}
				vias[vl] = 0;
				if (kind != 0 ||
				    sip_hdr(b, (size_t)n, "Contact", 'm', ctc, sizeof(ctc)))
					ctc[0] = 0;
				if (kind == 1) {
					media = (media + 1) % 12000;
					bl = sdp(body, sizeof(body), lip, 40000 + 2 * media);
				}
				o = snprintf(out, sizeof(out),
					     "SIP/2.0 200 OK\r\n%s"
					     "From: %s\r\nTo: %s%s%08x\r\n"
					     "Call-ID: %s\r\nCSeq: %s\r\n",
					     vias, f, t, strstr(t, ";tag=") ? "" : ";tag=s",
					     strstr(t, ";tag=") ? 0 : tag_of(cid),
					     cid, cseq);
				if (o < 0 || (size_t)o >= sizeof(out))
					continue;
				ol = (size_t)o;
				if (kind == 0 && ctc[0])
					o = snprintf(out + ol, sizeof(out) - ol,
						     "Contact: %s;expires=3600\r\nExpires: 3600\r\n"
						     "Content-Length: 0\r\n\r\n", ctc);
				else if (kind == 1)
					o = snprintf(out + ol, sizeof(out) - ol,
						     "Contact: <sip:echo@%s:%u>\r\n"
						     "Content-Type: application/sdp\r\n"
						     "Content-Length: %zu\r\n\r\n%s",
						     lip, port, bl, body);
				else
					o = snprintf(out + ol, sizeof(out) - ol,
						     "Content-Length: 0\r\n\r\n");
				if (o < 0 || (size_t)o >= sizeof(out) - ol)
					continue;
				ol += (size_t)o;
				to = from;
				via_dest(via, &to, by_via);
				sendto(fd, out, ol, 0, (struct sockaddr *)&to, sizeof(to));
			}
		}
	}
	printf("registrar register %ld invite %ld ack %ld bye %ld other %ld via_not_source %ld\n",
	       cnt[0], cnt[1], cnt[2], cnt[3], cnt[4], via_ns);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: siploadgen send {udp|tcp} SRCIP SRCPORT DSTIP DSTPORT COUNT\n"
		"       siploadgen sink {udp|tcp} BINDIP PORT COUNT [IDLE_MS]\n"
		"       siploadgen phones {reg|call} SRCIPS DSTIPS DSTPORT COUNT\n"
		"       siploadgen registrar BINDIPS PORT [via|source]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 8 && !strcmp(argv[1], "send"))
		return do_send(argv + 2);
	if (argc >= 6 && !strcmp(argv[1], "sink"))
		return do_sink(argc - 2, argv + 2);
	if (argc == 7 && !strcmp(argv[1], "phones"))
		return do_phones(argv + 2);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "registrar"))
		return do_registrar(argc - 2, argv + 2);
	usage();
	return 2;
}
