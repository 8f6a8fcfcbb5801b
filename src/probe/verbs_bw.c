/* verbs_bw.c: RDMA WRITE bandwidth and latency on one RC queue pair.
 *
 * Method (after perftest's ib_write_bw / ib_write_lat, re-implemented):
 * - rank 0 keeps up to tx_depth RDMA WRITEs in flight, asks for a completion
 *   every VB_CQ_MOD-th write (every write above 8 KiB) and times from the
 *   first post to the last completion; one tx_depth window of untimed writes
 *   warms the path first.
 * - rank 1 is the passive target. Unlike ib_write_bw's server (which sleeps
 *   in a TCP read), it cannot sleep in the caller's exchange: MPI spins, and
 *   on a node shared by both ranks that spin steals the CPU the transfer needs.
 *   So rank 0 turns every write that closes VB_IMM_BYTES of traffic, and the
 *   last one, into a WRITE WITH IMMEDIATE; rank 1 sleeps on a completion
 *   channel for those, which also tells it the sender is still making
 *   progress (no progress for the stall limit: it gives up, no hang).
 * - latency: RDMA WRITE ping-pong of one 8-byte word, each side spinning on
 *   the word it is sent; one-way = round trip / 2.
 * Every decision that could make the ranks diverge (skip, failure, end of a
 * size) goes through vb_agree, an exchange of a status word, first.
 */
#include "verbs_bw.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#define VB_DEF_SIZE      65536
#define VB_DEF_ITERS     5000 /* ib_write_bw's default for RDMA WRITE */
#define VB_DEF_TX_DEPTH  128
#define VB_DEF_LAT_ITERS 1000
#define VB_LAT_WARMUP    100
/* ib_write_bw asks for one completion per 100 writes up to 8 KiB and for
 * every one above (where moderation saves nothing and drains the window). */
#define VB_CQ_MOD        100
#define VB_CQ_MOD_LIMIT  8192
#define VB_MAX_INLINE    220 /* ib_write_bw's default inline size for WRITE */
#define VB_RX_DEPTH      64
#define VB_IMM_BYTES     (16u << 20)
#define VB_SLOT          64 /* one cache line per latency word */
/* No completion for this long means the peer or the device is gone. The
 * floor covers a slow emulated device; the rate term covers the bytes that
 * may legitimately pass between two completions. */
#define VB_STALL_FLOOR_S  20.0
#define VB_STALL_MIN_RATE 5e6
#define VB_WHY_LEN 256

enum vb_status { VB_OK = 0, VB_SKIP = 1, VB_FAIL = 2 };

struct vb_ctx {
	struct ibv_context *dev;
	struct ibv_pd *pd;
	unsigned char *buf;
	size_t buf_len;
	size_t data_len;
	struct ibv_mr *mr;
	struct ibv_comp_channel *chan;
	struct ibv_cq *scq;
	struct ibv_cq *rcq;
	struct ibv_qp *qp;
	struct ibv_port_attr pattr;
	union ibv_gid gid;
	char name[64];
	int port;
	int gid_index;
	int tx_depth;
	uint32_t max_inline;
	uint32_t psn;
	/* peer */
	uint64_t rem_addr;
	uint32_t rem_rkey;
};

/* What one rank tells the other about the outcome of a step. */
struct vb_report {
	int32_t status;
	int32_t pad;
	double value;
	char why[VB_WHY_LEN];
};

/* Connection data, as rc_pingpong's pingpong_dest plus the remote buffer. */
struct vb_conn {
	uint64_t addr;
	uint64_t warm; /* rank 0's warm-up count: rank 1 waits for its last write */
	uint32_t rkey;
	uint32_t qpn;
	uint32_t psn;
	uint32_t mtu;
	uint32_t link_layer;
	uint32_t use_grh;
	uint16_t lid;
	uint8_t gid[16];
	uint8_t pad[6];
};

static void vb_say(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void vb_say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static double vb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double vb_stall_limit(double bytes)
{
	return VB_STALL_FLOOR_S + bytes / VB_STALL_MIN_RATE;
}

/* Exchanges this rank's status, value and reason with the peer's. Returns
 * the worse of the two statuses; why gets the reason that goes with it,
 * naming the rank unless both ranks said the same. peer_value may be NULL. */
static int vb_agree(const struct probe_xchg *x, int st, double value,
		    const char *mywhy, double *peer_value, char *why, size_t whylen)
{
	struct vb_report mine = { .status = st, .value = value }, theirs;

	snprintf(mine.why, sizeof(mine.why), "%s", st == VB_OK ? "" : mywhy);
	memset(&theirs, 0, sizeof(theirs));
	if (x->exchange(x->ctx, &mine, &theirs, sizeof(mine))) {
		vb_say(why, whylen, "rank %d: exchange with the peer failed", x->rank);
		return VB_FAIL;
	}
	theirs.why[sizeof(theirs.why) - 1] = '\0';
	if (theirs.status < VB_OK || theirs.status > VB_FAIL) {
		vb_say(why, whylen, "rank %d: peer sent a bad status word %" PRId32,
		       x->rank, theirs.status);
		return VB_FAIL;
	}
	if (peer_value)
		*peer_value = theirs.value;
	if (st == VB_OK && theirs.status == VB_OK)
		return VB_OK;
	/* Both ranks must print the same line: the worse status's reason, or
	 * both reasons in rank order when the statuses tie. */
	if (st == theirs.status && !strcmp(mine.why, theirs.why))
		vb_say(why, whylen, "%s", mine.why);
	else if (st == theirs.status)
		vb_say(why, whylen, "rank 0: %s; rank 1: %s", x->rank ? theirs.why : mine.why,
		       x->rank ? mine.why : theirs.why);
	else if (st > theirs.status)
		vb_say(why, whylen, "rank %d: %s", x->rank, mine.why);
	else
		vb_say(why, whylen, "rank %d: %s", 1 - x->rank, theirs.why);
	return st > theirs.status ? st : theirs.status;
}

/* CAP_IPC_LOCK lifts RLIMIT_MEMLOCK for memory registration. */
static int vb_has_ipc_lock(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long caps = 0;
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			found = 1;
			break;
		}
	fclose(f);
	return found && (caps >> 14 & 1);
}

static int vb_check_memlock(size_t need, char *why, size_t whylen)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need || vb_has_ipc_lock())
		return VB_OK;
	vb_say(why, whylen,
	       "RLIMIT_MEMLOCK is %llu KiB, the verbs leg needs %zu KiB pinned: raise it "
	       "(ulimit -l unlimited; memlock in /etc/security/limits.conf; Slurm: "
	       "PropagateResourceLimits)",
	       (unsigned long long)rl.rlim_cur / 1024, (need + 1023) / 1024);
	return VB_SKIP;
}

/* Opens dev and takes its first ACTIVE port (or the requested one). */
static int vb_try_device(struct vb_ctx *c, struct ibv_device *d, int want_port,
			 char *note, size_t notelen)
{
	struct ibv_device_attr dattr;
	const char *name = ibv_get_device_name(d);
	int p;

	c->dev = ibv_open_device(d);
	if (!c->dev) {
		vb_say(note, notelen, "cannot open %s: %s", name, strerror(errno));
		return -1;
	}
	if (ibv_query_device(c->dev, &dattr)) {
		vb_say(note, notelen, "cannot query %s", name);
		goto clean_dev;
	}
	if (want_port > dattr.phys_port_cnt) {
		vb_say(note, notelen, "%s has no port %d (it has %u)", name, want_port,
		       dattr.phys_port_cnt);
		goto clean_dev;
	}
	for (p = want_port ? want_port : 1; p <= dattr.phys_port_cnt; p++) {
		if (ibv_query_port(c->dev, (uint8_t)p, &c->pattr)) {
			vb_say(note, notelen, "cannot query %s port %d", name, p);
			continue;
		}
		if (c->pattr.state == IBV_PORT_ACTIVE) {
			snprintf(c->name, sizeof(c->name), "%s", name);
			c->port = p;
			if (c->tx_depth > dattr.max_qp_wr)
				c->tx_depth = dattr.max_qp_wr;
			return 0;
		}
		vb_say(note, notelen, "%s port %d is %s", name, p,
		       ibv_port_state_str(c->pattr.state));
		if (want_port)
			break;
	}
clean_dev:
	ibv_close_device(c->dev);
	c->dev = NULL;
	return -1;
}

static int vb_pick_port(struct vb_ctx *c, const struct verbs_opts *o, char *why, size_t whylen)
{
	struct ibv_device **list;
	char note[VB_WHY_LEN] = "";
	int i, n = 0, seen = 0;

	errno = 0;
	list = ibv_get_device_list(&n);
	if (!list || n == 0) {
		/* ENOSYS: no uverbs in the kernel at all (no /sys/class/infiniband_verbs). */
		vb_say(why, whylen, "no RDMA device (%s)",
		       errno == ENOSYS ? "the kernel has no RDMA verbs support loaded" :
					 "libibverbs found none");
		if (list)
			ibv_free_device_list(list);
		return VB_SKIP;
	}
	for (i = 0; i < n && !c->dev; i++) {
		if (o->device && strcmp(o->device, ibv_get_device_name(list[i])))
			continue;
		seen++;
		vb_try_device(c, list[i], o->ib_port, note, sizeof(note));
	}
	ibv_free_device_list(list);
	if (c->dev)
		return VB_OK;
	if (o->device && !seen)
		vb_say(why, whylen, "no RDMA device named %s (ibv_devices lists them)", o->device);
	else
		vb_say(why, whylen, "no active RDMA port (%s)", note);
	return VB_SKIP;
}

/* RoCE needs a GID in every packet: a RoCE v2 one (routable UDP), preferring
 * an IPv4-mapped address, which both ranks are then likely to share. */
static int vb_pick_gid(struct vb_ctx *c, int want, char *why, size_t whylen)
{
	struct ibv_gid_entry e;
	int i, best = -1, best_v4 = 0;

	if (want >= 0) {
		if (ibv_query_gid(c->dev, (uint8_t)c->port, want, &c->gid)) {
			vb_say(why, whylen, "cannot read GID index %d of %s port %d", want,
			       c->name, c->port);
			return VB_SKIP;
		}
		c->gid_index = want;
		return VB_OK;
	}
	c->gid_index = -1;
	if (c->pattr.link_layer != IBV_LINK_LAYER_ETHERNET)
		return VB_OK; /* InfiniBand: LIDs route, no GRH needed */
	for (i = 0; i < c->pattr.gid_tbl_len; i++) {
		int v4;

		if (ibv_query_gid_ex(c->dev, (uint32_t)c->port, (uint32_t)i, &e, 0))
			continue; /* ENODATA: empty slot */
		if (e.gid_type != IBV_GID_TYPE_ROCE_V2)
			continue;
		v4 = !memcmp(e.gid.raw, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
		if (best < 0 || (v4 && !best_v4)) {
			best = i;
			best_v4 = v4;
			c->gid = e.gid;
		}
	}
	if (best < 0) {
		vb_say(why, whylen,
		       "%s port %d has no RoCE v2 GID (give its netdev an IP address, or "
		       "choose one with --gid-index)",
		       c->name, c->port);
		return VB_SKIP;
	}
	c->gid_index = best;
	return VB_OK;
}

static int vb_post_recv(struct vb_ctx *c)
{
	struct ibv_recv_wr wr = { .wr_id = 0, .sg_list = NULL, .num_sge = 0 }, *bad;

	return ibv_post_recv(c->qp, &wr, &bad);
}

static int vb_create_qp(struct vb_ctx *c)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = c->scq,
		.recv_cq = c->rcq,
		.cap = {
			.max_send_wr = (uint32_t)c->tx_depth,
			.max_recv_wr = VB_RX_DEPTH,
			.max_send_sge = 1,
			.max_recv_sge = 1,
			.max_inline_data = VB_MAX_INLINE,
		},
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 0,
	};

	c->qp = ibv_create_qp(c->pd, &ia);
	if (!c->qp) {
		/* Some providers refuse inline data: writes then simply DMA. */
		ia.cap.max_inline_data = 0;
		c->qp = ibv_create_qp(c->pd, &ia);
	}
	if (!c->qp)
		return -1;
	c->max_inline = ia.cap.max_inline_data;
	return 0;
}

/* Everything this rank can do alone: device, port, GID, memory, QP in INIT,
 * receives posted. Returns VB_OK, VB_SKIP or VB_FAIL; leaves c for
 * vb_close to unwind whatever was made. */
static int vb_open(struct vb_ctx *c, const struct verbs_opts *o, const size_t *sizes,
		   size_t n_sizes, char *why, size_t whylen)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t i, max = 0;
	int st, e;

	for (i = 0; i < n_sizes; i++) {
		if (sizes[i] == 0 || sizes[i] > UINT32_MAX) {
			vb_say(why, whylen, "message size %zu out of range", sizes[i]);
			return VB_FAIL;
		}
		if (sizes[i] > max)
			max = sizes[i];
	}
	st = vb_pick_port(c, o, why, whylen);
	if (st != VB_OK)
		return st;
	for (i = 0; i < n_sizes; i++)
		if (sizes[i] > c->pattr.max_msg_sz) {
			vb_say(why, whylen, "message size %zu exceeds %s's limit of %u bytes",
			       sizes[i], c->name, c->pattr.max_msg_sz);
			return VB_FAIL;
		}
	st = vb_pick_gid(c, o->gid_index, why, whylen);
	if (st != VB_OK)
		return st;

	if (page <= 0)
		page = 4096;
	c->data_len = (max + VB_SLOT - 1) / VB_SLOT * VB_SLOT;
	c->buf_len = (c->data_len + 2 * VB_SLOT + (size_t)page - 1) / (size_t)page * (size_t)page;
	st = vb_check_memlock(c->buf_len + (size_t)page * 64, why, whylen);
	if (st != VB_OK)
		return st;

	c->pd = ibv_alloc_pd(c->dev);
	if (!c->pd) {
		vb_say(why, whylen, "couldn't allocate a protection domain on %s", c->name);
		return VB_FAIL;
	}
	e = posix_memalign((void **)&c->buf, (size_t)page, c->buf_len);
	if (e) {
		c->buf = NULL;
		vb_say(why, whylen, "couldn't allocate %zu bytes: %s", c->buf_len, strerror(e));
		return VB_FAIL;
	}
	memset(c->buf, 0x5a, c->buf_len);
	memset(c->buf + c->data_len, 0, 2 * VB_SLOT);
	c->mr = ibv_reg_mr(c->pd, c->buf, c->buf_len,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!c->mr) {
		e = errno;
		if (e == ENOMEM || e == EPERM) {
			struct rlimit rl = { 0 };

			getrlimit(RLIMIT_MEMLOCK, &rl);
			vb_say(why, whylen,
			       "couldn't register %zu KiB with %s (%s; RLIMIT_MEMLOCK %s%llu KiB, "
			       "memory other libraries pinned counts too): raise it (ulimit -l unlimited)",
			       c->buf_len / 1024, c->name, strerror(e),
			       rl.rlim_cur == RLIM_INFINITY ? "unlimited, " : "",
			       rl.rlim_cur == RLIM_INFINITY ? 0ULL : (unsigned long long)rl.rlim_cur / 1024);
			return VB_SKIP;
		}
		vb_say(why, whylen, "couldn't register memory with %s: %s", c->name, strerror(e));
		return VB_FAIL;
	}
	c->chan = ibv_create_comp_channel(c->dev);
	if (!c->chan) {
		vb_say(why, whylen, "couldn't create a completion channel on %s", c->name);
		return VB_FAIL;
	}
	c->scq = ibv_create_cq(c->dev, c->tx_depth, NULL, NULL, 0);
	c->rcq = c->scq ? ibv_create_cq(c->dev, VB_RX_DEPTH, NULL, c->chan, 0) : NULL;
	if (!c->rcq) {
		vb_say(why, whylen, "couldn't create completion queues on %s", c->name);
		return VB_FAIL;
	}
	if (vb_create_qp(c)) {
		vb_say(why, whylen, "couldn't create an RC queue pair on %s: %s", c->name,
		       strerror(errno));
		return VB_FAIL;
	}
	{
		struct ibv_qp_attr a = {
			.qp_state = IBV_QPS_INIT,
			.pkey_index = 0,
			.port_num = (uint8_t)c->port,
			.qp_access_flags = IBV_ACCESS_REMOTE_WRITE,
		};

		if (ibv_modify_qp(c->qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
						    IBV_QP_ACCESS_FLAGS)) {
			vb_say(why, whylen, "couldn't move the QP to INIT on %s", c->name);
			return VB_FAIL;
		}
	}
	for (i = 0; i < VB_RX_DEPTH; i++)
		if (vb_post_recv(c)) {
			vb_say(why, whylen, "couldn't post receives on %s", c->name);
			return VB_FAIL;
		}
	{
		struct timespec ts;

		/* Any start PSN works; vary it so a stale packet cannot match. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		c->psn = ((uint32_t)ts.tv_nsec ^ (uint32_t)getpid() << 8 ^ c->qp->qp_num) & 0xffffff;
	}
	return VB_OK;
}

static void vb_close(struct vb_ctx *c)
{
	if (c->qp)
		ibv_destroy_qp(c->qp);
	if (c->rcq)
		ibv_destroy_cq(c->rcq);
	if (c->scq)
		ibv_destroy_cq(c->scq);
	if (c->chan)
		ibv_destroy_comp_channel(c->chan);
	if (c->mr)
		ibv_dereg_mr(c->mr);
	free(c->buf);
	if (c->pd)
		ibv_dealloc_pd(c->pd);
	if (c->dev)
		ibv_close_device(c->dev);
	memset(c, 0, sizeof(*c));
}

static void vb_fill_conn(const struct vb_ctx *c, struct vb_conn *m)
{
	memset(m, 0, sizeof(*m));
	m->addr = (uint64_t)(uintptr_t)c->buf;
	m->rkey = c->mr->rkey;
	m->qpn = c->qp->qp_num;
	m->psn = c->psn;
	m->mtu = (uint32_t)c->pattr.active_mtu;
	m->link_layer = c->pattr.link_layer;
	m->use_grh = c->gid_index >= 0;
	m->lid = c->pattr.lid;
	memcpy(m->gid, c->gid.raw, sizeof(m->gid));
}

/* INIT -> RTR -> RTS against the peer's connection data. */
static int vb_connect(struct vb_ctx *c, const struct vb_conn *r, char *why, size_t whylen)
{
	enum ibv_mtu mtu = c->pattr.active_mtu < (enum ibv_mtu)r->mtu ?
				   c->pattr.active_mtu : (enum ibv_mtu)r->mtu;
	struct ibv_qp_attr rtr = {
		.qp_state = IBV_QPS_RTR,
		.path_mtu = mtu,
		.dest_qp_num = r->qpn,
		.rq_psn = r->psn,
		.max_dest_rd_atomic = 1,
		.min_rnr_timer = 12,
		.ah_attr = {
			.is_global = 0,
			.dlid = r->lid,
			.sl = 0,
			.src_path_bits = 0,
			.port_num = (uint8_t)c->port,
		},
	};
	struct ibv_qp_attr rts = {
		.qp_state = IBV_QPS_RTS,
		.timeout = 14,
		.retry_cnt = 7,
		.rnr_retry = 7,
		.sq_psn = c->psn,
		.max_rd_atomic = 1,
	};

	if (r->link_layer != c->pattr.link_layer) {
		vb_say(why, whylen, "the ranks' ports differ in link layer (%s port %d: %s)",
		       c->name, c->port,
		       c->pattr.link_layer == IBV_LINK_LAYER_ETHERNET ? "Ethernet" : "InfiniBand");
		return VB_FAIL;
	}
	if (c->gid_index >= 0 || r->use_grh) {
		if (c->gid_index < 0) {
			vb_say(why, whylen, "the peer uses a GID, this rank has none: pass --gid-index");
			return VB_FAIL;
		}
		rtr.ah_attr.is_global = 1;
		memcpy(rtr.ah_attr.grh.dgid.raw, r->gid, sizeof(r->gid));
		rtr.ah_attr.grh.sgid_index = (uint8_t)c->gid_index;
		rtr.ah_attr.grh.hop_limit = 64;
	}
	if (ibv_modify_qp(c->qp, &rtr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
					       IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
					       IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER)) {
		vb_say(why, whylen, "couldn't move the QP on %s port %d to RTR (GID index %d)",
		       c->name, c->port, c->gid_index);
		return VB_FAIL;
	}
	if (ibv_modify_qp(c->qp, &rts, IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
					       IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
					       IBV_QP_MAX_QP_RD_ATOMIC)) {
		vb_say(why, whylen, "couldn't move the QP on %s port %d to RTS", c->name, c->port);
		return VB_FAIL;
	}
	c->rem_addr = r->addr;
	c->rem_rkey = r->rkey;
	return VB_OK;
}

static int vb_post_write(struct vb_ctx *c, size_t loff, uint64_t roff, size_t size,
			 uint64_t id, int signaled, int imm)
{
	struct ibv_sge sge = {
		.addr = (uint64_t)(uintptr_t)(c->buf + loff),
		.length = (uint32_t)size,
		.lkey = c->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = id,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = imm ? IBV_WR_RDMA_WRITE_WITH_IMM : IBV_WR_RDMA_WRITE,
		.send_flags = (signaled ? IBV_SEND_SIGNALED : 0u) |
			      (size <= c->max_inline ? IBV_SEND_INLINE : 0u),
		.imm_data = htobe32((uint32_t)id),
		.wr.rdma = {
			.remote_addr = c->rem_addr + roff,
			.rkey = c->rem_rkey,
		},
	}, *bad;

	return ibv_post_send(c->qp, &wr, &bad);
}

/* Writes whose index closes VB_IMM_BYTES of traffic, and the last one, carry
 * an immediate: rank 1 wakes on those only. */
static uint64_t vb_imm_every(size_t size)
{
	uint64_t n = VB_IMM_BYTES / size;

	return n ? n : 1;
}

/* Signal every cq_mod-th write. With a small tx_depth the interval must
 * shrink too, or the window could never drain to the next signalled write. */
static int vb_cq_mod(const struct vb_ctx *c, size_t size)
{
	int mod = size > VB_CQ_MOD_LIMIT ? 1 : VB_CQ_MOD;

	return mod < c->tx_depth ? mod : c->tx_depth;
}

/* Rank 0: writes count messages of size, indices first..first+count-1,
 * keeping up to tx_depth in flight; returns when all have completed. */
static int vb_write_burst(struct vb_ctx *c, size_t size, uint64_t first, uint64_t count,
			  uint64_t last_index, char *why, size_t whylen)
{
	struct ibv_wc wc[16];
	uint64_t posted = 0, done = 0, every = vb_imm_every(size);
	uint64_t cq_mod = (uint64_t)vb_cq_mod(c, size);
	double limit = vb_stall_limit((double)size * (double)(cq_mod + (uint64_t)c->tx_depth));
	double last = vb_now();
	unsigned spins = 0;

	while (done < count) {
		int ne, i;

		while (posted < count && posted - done < (uint64_t)c->tx_depth) {
			uint64_t id = first + posted;
			int sig = (posted + 1) % cq_mod == 0 || posted + 1 == count;
			int imm = (id + 1) % every == 0 || id == last_index;

			if (vb_post_write(c, 0, 0, size, id, sig, imm)) {
				vb_say(why, whylen, "couldn't post an RDMA write of %zu bytes on %s",
				       size, c->name);
				return VB_FAIL;
			}
			posted++;
		}
		ne = ibv_poll_cq(c->scq, 16, wc);
		if (ne < 0) {
			vb_say(why, whylen, "couldn't poll the send CQ on %s", c->name);
			return VB_FAIL;
		}
		for (i = 0; i < ne; i++) {
			if (wc[i].status != IBV_WC_SUCCESS) {
				vb_say(why, whylen, "RDMA write of %zu bytes failed on %s: %s", size,
				       c->name, ibv_wc_status_str(wc[i].status));
				return VB_FAIL;
			}
			done = wc[i].wr_id - first + 1;
		}
		if (ne > 0) {
			spins = 0;
			last = vb_now();
		} else if (++spins % 4096 == 0 && vb_now() - last > limit) {
			vb_say(why, whylen,
			       "no completion for %.0f s writing %zu bytes on %s (peer gone?)",
			       limit, size, c->name);
			return VB_FAIL;
		}
	}
	return VB_OK;
}

static int vb_send_size(struct vb_ctx *c, size_t size, uint64_t warm, uint64_t iters,
			double *mbps, char *why, size_t whylen)
{
	uint64_t last_index = warm + iters - 1;
	double t0, t1;
	int st;

	if (warm) {
		st = vb_write_burst(c, size, 0, warm, last_index, why, whylen);
		if (st != VB_OK)
			return st;
	}
	t0 = vb_now();
	st = vb_write_burst(c, size, warm, iters, last_index, why, whylen);
	t1 = vb_now();
	if (st != VB_OK)
		return st;
	*mbps = (double)size * (double)iters / (t1 - t0) / 1e6;
	return VB_OK;
}

/* Rank 1: sleeps on the receive CQ until the write with index last_index
 * has landed; each immediate on the way proves progress. */
static int vb_recv_size(struct vb_ctx *c, size_t size, uint64_t last_index, char *why,
			size_t whylen)
{
	double limit = vb_stall_limit((double)size * (double)vb_imm_every(size) +
				      (double)size * (vb_cq_mod(c, size) + c->tx_depth));
	double last = vb_now();

	for (;;) {
		struct ibv_wc wc[8];
		struct ibv_cq *ev_cq;
		struct pollfd pfd = { .fd = c->chan->fd, .events = POLLIN };
		void *ev_ctx;
		int ne, i, armed = 0, left;

		do {
			ne = ibv_poll_cq(c->rcq, 8, wc);
			if (ne < 0) {
				vb_say(why, whylen, "couldn't poll the receive CQ on %s", c->name);
				return VB_FAIL;
			}
			for (i = 0; i < ne; i++) {
				if (wc[i].status != IBV_WC_SUCCESS) {
					vb_say(why, whylen, "receive of %zu-byte writes failed on %s: %s",
					       size, c->name, ibv_wc_status_str(wc[i].status));
					return VB_FAIL;
				}
				if (vb_post_recv(c)) {
					vb_say(why, whylen, "couldn't repost a receive on %s", c->name);
					return VB_FAIL;
				}
				if (be32toh(wc[i].imm_data) == (uint32_t)last_index)
					return VB_OK;
				last = vb_now();
			}
			/* Arm, then poll once more: a completion that came in between
			 * would raise no event. */
			if (ne == 0 && !armed) {
				if (ibv_req_notify_cq(c->rcq, 0)) {
					vb_say(why, whylen, "couldn't arm the receive CQ on %s", c->name);
					return VB_FAIL;
				}
				armed = 1;
				ne = 1;
			}
		} while (ne > 0);

		left = (int)((limit - (vb_now() - last)) * 1000.0);
		if (left <= 0) {
			vb_say(why, whylen, "no %zu-byte write arrived for %.0f s on %s (peer gone?)",
			       size, limit, c->name);
			return VB_FAIL;
		}
		ne = poll(&pfd, 1, left);
		if (ne < 0 && errno != EINTR) {
			vb_say(why, whylen, "couldn't wait on the completion channel: %s",
			       strerror(errno));
			return VB_FAIL;
		}
		if (ne > 0) {
			if (ibv_get_cq_event(c->chan, &ev_cq, &ev_ctx)) {
				vb_say(why, whylen, "couldn't read a CQ event on %s", c->name);
				return VB_FAIL;
			}
			ibv_ack_cq_events(ev_cq, 1);
		}
	}
}

/* Spins until the 8-byte word at in reaches want, or fails after the stall
 * limit. */
static int vb_spin_word(struct vb_ctx *c, volatile uint64_t *in, uint64_t want, char *why,
			size_t whylen)
{
	double start = vb_now();
	unsigned spins = 0;

	while (*in < want)
		if (++spins % 4096 == 0 && vb_now() - start > VB_STALL_FLOOR_S) {
			vb_say(why, whylen,
			       "no latency write from the peer for %.0f s on %s (waiting for %" PRIu64
			       ", have %" PRIu64 ")",
			       VB_STALL_FLOOR_S, c->name, want, (uint64_t)*in);
			return VB_FAIL;
		}
	return VB_OK;
}

/* Spins until the one signalled write in flight has completed. */
static int vb_spin_send(struct vb_ctx *c, char *why, size_t whylen)
{
	double start = vb_now();
	unsigned spins = 0;
	struct ibv_wc wc;
	int ne;

	while ((ne = ibv_poll_cq(c->scq, 1, &wc)) == 0)
		if (++spins % 4096 == 0 && vb_now() - start > VB_STALL_FLOOR_S) {
			vb_say(why, whylen, "a latency write did not complete for %.0f s on %s",
			       VB_STALL_FLOOR_S, c->name);
			return VB_FAIL;
		}
	if (ne < 0 || wc.status != IBV_WC_SUCCESS) {
		vb_say(why, whylen, "latency write failed on %s: %s", c->name,
		       ne < 0 ? "couldn't poll the send CQ" : ibv_wc_status_str(wc.status));
		return VB_FAIL;
	}
	return VB_OK;
}

/* Latency: ping-pong of one 8-byte word written into the peer's receive
 * slot (zeroed at setup). Rank 0 pings and times; rank 1 answers. As in
 * ib_write_lat, each side reaps its own write's completion before it waits
 * for the answer, so one write at most is in flight per side. (Letting
 * completions trail behind instead wedged rxe's sender for good under
 * Linux 6.1 within a few thousand round trips.) */
static int vb_pingpong(struct vb_ctx *c, int rank, int iters, double *lat_us, char *why,
		       size_t whylen)
{
	volatile uint64_t *in = (volatile uint64_t *)(void *)(c->buf + c->data_len + VB_SLOT);
	uint64_t *out = (uint64_t *)(void *)(c->buf + c->data_len);
	uint64_t i, total = (uint64_t)iters + VB_LAT_WARMUP;
	double t0 = vb_now();

	for (i = 1; i <= total; i++) {
		if (i == VB_LAT_WARMUP + 1)
			t0 = vb_now();
		if (rank == 1 && vb_spin_word(c, in, i, why, whylen))
			return VB_FAIL;
		*out = i;
		if (vb_post_write(c, c->data_len, c->data_len + VB_SLOT, sizeof(*out), i, 1, 0)) {
			vb_say(why, whylen, "couldn't post a latency write on %s", c->name);
			return VB_FAIL;
		}
		if (vb_spin_send(c, why, whylen))
			return VB_FAIL;
		if (rank == 0 && vb_spin_word(c, in, i, why, whylen))
			return VB_FAIL;
	}
	*lat_us = (vb_now() - t0) * 1e6 / (2.0 * iters);
	return VB_OK;
}

int verbs_bw_run(const struct verbs_opts *o, const struct probe_xchg *x,
		 struct verbs_result *res, char *why, size_t whylen)
{
	static const size_t def_size = VB_DEF_SIZE;
	struct vb_ctx c = { .tx_depth = o && o->tx_depth > 0 ? o->tx_depth : VB_DEF_TX_DEPTH };
	struct vb_conn mine, theirs;
	char mywhy[VB_WHY_LEN] = "";
	const size_t *sizes;
	size_t n_sizes, k;
	uint64_t iters, warm;
	int st, lat_iters;

	if (why && whylen)
		why[0] = '\0';
	if (!res)
		return -1;
	memset(res, 0, sizeof(*res));
	res->lat_us = -1.0;
	res->gid_index = -1;
	if (!o || !x || !x->exchange || (x->rank != 0 && x->rank != 1)) {
		vb_say(why, whylen, "verbs_bw_run: bad arguments");
		return -1;
	}
	sizes = o->sizes && o->n_sizes ? o->sizes : &def_size;
	n_sizes = o->sizes && o->n_sizes ? o->n_sizes : 1;
	iters = o->iters > 0 ? (uint64_t)o->iters : VB_DEF_ITERS;
	lat_iters = o->lat_iters > 0 ? o->lat_iters : o->lat_iters < 0 ? 0 : VB_DEF_LAT_ITERS;

	st = vb_open(&c, o, sizes, n_sizes, mywhy, sizeof(mywhy));
	warm = o->warmup > 0 ? (uint64_t)o->warmup : o->warmup < 0 ? 0 : (uint64_t)c.tx_depth;
	st = vb_agree(x, st, 0.0, mywhy, NULL, why, whylen);
	if (st != VB_OK)
		goto clean;
	snprintf(res->device, sizeof(res->device), "%s", c.name);
	res->port = c.port;
	res->gid_index = c.gid_index;

	vb_fill_conn(&c, &mine);
	mine.warm = warm;
	memset(&theirs, 0, sizeof(theirs));
	if (x->exchange(x->ctx, &mine, &theirs, sizeof(mine))) {
		vb_say(why, whylen, "rank %d: exchange of connection data failed", x->rank);
		st = VB_FAIL;
		goto clean;
	}
	/* tx_depth may have been cut to what each device allows; rank 0 decides. */
	if (x->rank == 1)
		warm = theirs.warm;
	st = vb_connect(&c, &theirs, mywhy, sizeof(mywhy));
	st = vb_agree(x, st, 0.0, mywhy, NULL, why, whylen);
	if (st != VB_OK)
		goto clean;

	res->rows = calloc(n_sizes, sizeof(*res->rows));
	st = res->rows ? VB_OK : VB_FAIL;
	if (!res->rows)
		vb_say(mywhy, sizeof(mywhy), "out of memory");
	st = vb_agree(x, st, 0.0, mywhy, NULL, why, whylen);
	if (st != VB_OK)
		goto clean;

	for (k = 0; k < n_sizes; k++) {
		double mbps = 0.0, peer = 0.0;

		if (x->rank == 0)
			st = vb_send_size(&c, sizes[k], warm, iters, &mbps, mywhy, sizeof(mywhy));
		else
			st = vb_recv_size(&c, sizes[k], warm + iters - 1, mywhy, sizeof(mywhy));
		st = vb_agree(x, st, mbps, mywhy, &peer, why, whylen);
		if (st != VB_OK)
			goto clean;
		res->rows[k].size = sizes[k];
		res->rows[k].mb_per_s = x->rank == 0 ? mbps : peer;
		res->n_rows = k + 1;
	}

	if (lat_iters) {
		double lat = -1.0, peer = -1.0;

		st = vb_pingpong(&c, x->rank, lat_iters, &lat, mywhy, sizeof(mywhy));
		st = vb_agree(x, st, lat, mywhy, &peer, why, whylen);
		if (st != VB_OK)
			goto clean;
		res->lat_us = x->rank == 0 ? lat : peer; /* rank 0 timed */
	}
clean:
	vb_close(&c);
	return st == VB_OK ? 0 : st == VB_SKIP ? 1 : -1;
}

void verbs_result_free(struct verbs_result *res)
{
	if (!res)
		return;
	free(res->rows);
	res->rows = NULL;
	res->n_rows = 0;
}
