// SPDX-License-Identifier: MIT
/*
 * defuse.so: records which integer registers each instruction of a run
 * reads (uses) and writes (defines), for def/use fault-space pruning
 * (experiments/campaign --prune, experiments/campaign_lib/defuse.py).
 *
 *   --plugin defuse.so,out=FILE[,from=ICOUNT][,hart=H]
 *
 * From hart H's instruction count ICOUNT on (default 0) to the end of the
 * run, one line per instruction that touches x1..x31:
 *
 *   K USES DEFS PC       (K the hart's count before it, masks in hex:
 *                         bit r for register xr)
 *
 * An injection "at=K" (faultinj.so) flips a bit just before instruction
 * K, so a flip of xr at any count in (previous access of xr, K] reaches
 * the same state when instruction K reads xr: one equivalence class.
 *
 * The masks must never miss a use and never claim a false definition
 * (a false use only costs an experiment; a false definition would call a
 * harmful flip benign). So: the decoder below knows RV64GC's integer
 * operands; an instruction it does not know, and every ecall, ebreak,
 * xRET and wfi (the hypervisor's SBI reads a0..a7 behind the guest's
 * back), uses all registers and defines none; floating-point instructions
 * that write an integer register (fmv.x.d, feq...) define none; and a
 * definition counts only once the instruction has retired (the next
 * callback sees the hart's count past K): an instruction that traps
 * defines nothing. Uses at one count are merged (a trapping instruction
 * and the first instruction of its handler share a count).
 *
 * Memory (mem=LO:HI, physical, for --kind mem pruning) adds lines for
 * the bytes of [LO, HI) from count ICOUNT on:
 *
 *   r K PADDR SIZE    instruction K read SIZE bytes (loads; AMOs, LR and
 *                     SC, which the host reports as one write, though an
 *                     AMO reads first and a failed SC writes nothing; the
 *                     fetch of an instruction stored there)
 *   w K PADDR SIZE    instruction K wrote them and retired (a store that
 *                     traps defines nothing: the same rule as registers)
 *   o K               something other than the instruction stream may
 *                     read or write any guest memory at K: an SBI call the
 *                     hypervisor serves, unless its extension passes all
 *                     in registers (DBCN and the paravirtual calls read
 *                     and write guest buffers; defuse_on_sbi), an ebreak or
 *                     unknown instruction, or a register access of a device
 *                     other than the UART, CLINT, PLIC, RTC and syscon (a
 *                     virtio notify makes the device walk its queue and
 *                     copy buffers then); a use of every byte
 *   p PAGE            a page-table page (4 KiB at PAGE) overlaps the
 *                     range: the MMU's walks read it and set A/D bits in
 *                     it at any instruction, unseen; found by walking the
 *                     tables of satp when tracing starts, at every satp
 *                     write and sfence.vma, and at the end
 *
 * What this cannot see: a device that copies into guest memory on its own
 * schedule (the network device's receive path) and page tables that exist
 * only between two walks; defuse.py runs a machine with a network device
 * unpruned. Reads are reported whether or not the instruction retires (a
 * false use costs an experiment only).
 *
 * Cost: every instruction is subscribed (one callback each), the price of
 * a golden run traced once per campaign; a walk reads every table of the
 * address space. Input not trusted: the arguments.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/examples/example.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = EXAMPLE_ABI(1);

#define DEFUSE_ALL 0xfffffffeu /* x1..x31 */

struct defuse {
	rv_plugin *self;
	rv_machine *m;
	uint64_t from, hart;
	FILE *out;
	bool have; /* a pending instruction */
	uint64_t k, pc;
	uint32_t use, def;
	bool mem; /* memory tracing: [mlo, mhi) */
	uint64_t mlo, mhi;
	uint32_t nw; /* the pending instruction's writes */
	uint64_t w_pa[8];
	uint32_t w_size[8];
	uint64_t pages[256]; /* page-table pages reported */
	uint32_t npages;
	bool walked; /* the first walk is done */
	bool atomic; /* the pending instruction is an AMO, LR or SC */
};

static struct defuse du;

/* Integer registers read and written by one instruction (x0 dropped). */
static void defuse_decode(uint32_t raw, uint32_t *use, uint32_t *def)
{
	uint32_t u = 0, d = 0;

	if ((raw & 3) == 3) {
		uint32_t rd = 1u << ((raw >> 7) & 31), rs1 = 1u << ((raw >> 15) & 31);
		uint32_t rs2 = 1u << ((raw >> 20) & 31), f3 = (raw >> 12) & 7;
		switch (raw & 0x7f) {
		case 0x37:
		case 0x17:
		case 0x6f: /* lui, auipc, jal */
			d = rd;
			break;
		case 0x67:
		case 0x03:
		case 0x13:
		case 0x1b: /* jalr, loads, op-imm(-32) */
			u = rs1, d = rd;
			break;
		case 0x63:
		case 0x23: /* branches, stores */
			u = rs1 | rs2;
			break;
		case 0x33:
		case 0x3b:
		case 0x2f: /* op, op-32, amo */
			u = rs1 | rs2, d = rd;
			break;
		case 0x07:
		case 0x27:
		case 0x53: /* fp loads, stores, ops */
			u = rs1;
			break;
		case 0x43:
		case 0x47:
		case 0x4b:
		case 0x4f:
		case 0x0f: /* fma, fence */
			break;
		case 0x73:
			if (f3 == 0 || f3 == 4)
				u = DEFUSE_ALL; /* ecall, ebreak, xRET, wfi, sfence */
			else
				u = f3 < 4 ? rs1 : 0, d = rd;
			break;
		default:
			u = DEFUSE_ALL;
		}
	} else {
		uint32_t q = raw & 3, f3 = (raw >> 13) & 7;
		uint32_t r11 = 1u << ((raw >> 7) & 31), r6 = 1u << ((raw >> 2) & 31);
		uint32_t p9 = 1u << (8 + ((raw >> 7) & 7)), p4 = 1u << (8 + ((raw >> 2) & 7));
		uint32_t sp = 1u << 2;
		if (q == 0) {
			static const uint8_t kind[8] = { 1, 2, 3, 3, 0, 2, 4, 4 };
			switch (kind[f3]) {
			case 1:
				u = sp, d = p4;
				break; /* c.addi4spn */
			case 2:
				u = p9;
				break; /* c.fld, c.fsd */
			case 3:
				u = p9, d = p4;
				break; /* c.lw, c.ld */
			case 4:
				u = p9 | p4;
				break; /* c.sw, c.sd */
			default:
				u = DEFUSE_ALL;
			}
		} else if (q == 1) {
			switch (f3) {
			case 0:
			case 1:
				u = r11, d = r11;
				break; /* c.addi, c.addiw */
			case 2:
				d = r11;
				break; /* c.li */
			case 3:
				u = r11 == sp ? sp : 0, d = r11;
				break; /* c.addi16sp, c.lui */
			case 4:
				u = p9 | (((raw >> 10) & 3) == 3 ? p4 : 0), d = p9;
				break;
			case 5:
				break; /* c.j */
			default:
				u = p9; /* c.beqz, c.bnez */
			}
		} else if (q == 2) {
			bool b12 = raw & (1u << 12);
			switch (f3) {
			case 0:
				u = r11, d = r11;
				break; /* c.slli */
			case 1:
			case 5:
				u = sp;
				break; /* c.fldsp, c.fsdsp */
			case 2:
			case 3:
				u = sp, d = r11;
				break; /* c.lwsp, c.ldsp */
			case 4:
				if (r6 == 1 && r11 == 1)
					u = DEFUSE_ALL; /* c.ebreak */
				else if (r6 == 1)
					u = r11, d = b12 ? 1u << 1 : 0; /* c.jr, c.jalr */
				else
					u = r6 | (b12 ? r11 : 0), d = r11; /* c.mv, c.add */
				break;
			default:
				u = sp | r6; /* c.swsp, c.sdsp */
			}
		}
	}
	*use = u & DEFUSE_ALL;
	*def = d & DEFUSE_ALL;
}

static void defuse_flush(bool retired)
{
	uint32_t def = retired ? du.def : 0;

	if (du.have && (du.use | def))
		fprintf(du.out, "%" PRIu64 " %x %x %" PRIx64 "\n", du.k, du.use, def, du.pc);
	for (uint32_t i = 0; du.have && retired && i < du.nw; i++)
		fprintf(du.out, "w %" PRIu64 " %" PRIx64 " %u\n", du.k, du.w_pa[i], du.w_size[i]);
	du.nw = 0;
	du.have = false;
}

static bool defuse_overlaps(uint64_t pa, uint64_t len)
{
	return pa < du.mhi && pa + len > du.mlo;
}

/* Report the page-table pages of satp's address space that overlap the
 * range (Sv39, Sv48, Sv57: 3 to 5 levels below the root). */
static void defuse_walk(uint64_t table, int level)
{
	if (defuse_overlaps(table, 4096)) {
		uint32_t i = 0;
		while (i < du.npages && du.pages[i] != table)
			i++;
		if (i == du.npages) {
			fprintf(du.out, "p %" PRIx64 "\n", table);
			if (du.npages < sizeof(du.pages) / sizeof(du.pages[0]))
				du.pages[du.npages++] = table;
		}
	}
	for (uint32_t i = 0; level > 0 && i < 512; i++) {
		uint64_t pte = 0;
		if (rv_machine_mem_read_phys(du.m, table + 8 * i, &pte, 8) == 8 && (pte & 1) &&
		    !(pte & 0xe))
			defuse_walk(((pte >> 10) & ((1ull << 44) - 1)) << 12, level - 1);
	}
}

static void defuse_walk_satp(uint64_t satp)
{
	uint64_t mode = satp >> 60;

	if (du.mem && mode >= 8 && mode <= 10)
		defuse_walk((satp & ((1ull << 44) - 1)) << 12, (int)mode - 6);
}

static void defuse_walk_now(void)
{
	uint64_t satp = 0;

	du.walked = true;
	if (rv_machine_reg_read(du.m, du.hart, RV_REG_CSR(0x180), &satp) == 0)
		defuse_walk_satp(satp);
}

static void defuse_on_satp(void *ud, uint32_t hart, uint64_t satp)
{
	(void)ud;
	if (hart == du.hart && du.have)
		defuse_walk_satp(satp);
}

static void defuse_on_mem(void *ud, uint32_t hart, uint64_t vaddr, uint64_t paddr, uint32_t size,
			  bool write, uint64_t value)
{
	(void)ud;
	(void)vaddr;
	(void)value;
	if (hart != du.hart || !du.have)
		return;
	/* An AMO reads before it writes, and an SC that fails writes nothing,
	 * but the host reports both as one write: a use. */
	if (!write || du.atomic)
		fprintf(du.out, "r %" PRIu64 " %" PRIx64 " %u\n", du.k, paddr, size);
	else if (du.nw < 8)
		du.w_pa[du.nw] = paddr, du.w_size[du.nw++] = size;
	/* (more than 8 writes by one instruction: the rest count as none) */
}

static void defuse_on_mmio(void *ud, uint32_t hart, uint64_t paddr, uint32_t size, bool write,
			   uint64_t value, const char *device)
{
	(void)ud;
	(void)paddr;
	(void)size;
	(void)write;
	(void)value;
	/* These devices never touch guest memory (hv/dev/uart.c, clint.c ...). */
	static const char *const no_dma[] = { "uart", "clint", "plic", "rtc", "syscon" };
	for (size_t i = 0; device && i < sizeof(no_dma) / sizeof(no_dma[0]); i++)
		if (!strcmp(device, no_dma[i]))
			return;
	if (hart == du.hart && du.have)
		fprintf(du.out, "o %" PRIu64 "\n", du.k);
}

/* The instruction's own bytes, when they lie in the range, are read
 * (M-mode fetches are physical whatever satp says). */
static void defuse_fetch(uint32_t hart, uint64_t pc, uint32_t raw)
{
	uint64_t len = (raw & 3) == 3 ? 4 : 2, pa, priv = 0;

	rv_machine_reg_read(du.m, hart, RV_REG_PRIV, &priv);
	for (uint64_t a = pc; a < pc + len; a++) {
		if (priv == 3)
			pa = a;
		else if (rv_machine_translate(du.m, hart, a, &pa) != 0)
			continue;
		if (defuse_overlaps(pa, 1))
			fprintf(du.out, "r %" PRIu64 " %" PRIx64 " 1\n", du.k, pa);
	}
}

/* Whether something other than the instruction's own loads and stores may
 * touch guest memory at it: an instruction the decoder does not know
 * (its accesses may take a path the host does not report) and ebreak (a
 * debugger's). An ecall the hypervisor serves is judged by its extension
 * (defuse_on_sbi); one the guest's own handler takes, xRET, wfi and
 * sfence touch no memory. */
static bool defuse_opaque(uint32_t raw, uint32_t use)
{
	if (use != DEFUSE_ALL)
		return false;
	if ((raw & 0x707f) == 0x73) /* ecall, ebreak, xRET, wfi, sfence */
		return raw == 0x00100073;
	return true; /* c.ebreak, unknown */
}

/* An SBI call the hypervisor serves reads or writes guest memory unless
 * its extension passes everything in registers. */
static void defuse_on_sbi(void *ud, uint32_t hart, uint64_t ext, uint64_t fid,
			  const uint64_t args[6])
{
	/* legacy set_timer, putchar, getchar, clear_ipi, fence_i, shutdown
	 * (send_ipi and the remote sfences read a hart mask in memory); base;
	 * TIME, sPI, RFNC, HSM, SRST (SBI 2.0: masks and addresses by value) */
	static const uint64_t in_registers[] = { 0,        1,          2,        3,
						 5,        8,          0x10,     0x54494d45,
						 0x735049, 0x52464e43, 0x48534d, 0x53525354 };
	(void)ud;
	(void)fid;
	(void)args;
	if (hart != du.hart || !du.have)
		return;
	for (size_t i = 0; i < sizeof(in_registers) / sizeof(in_registers[0]); i++)
		if (ext == in_registers[i])
			return;
	fprintf(du.out, "o %" PRIu64 "\n", du.k);
}

/* Memory tracing's part of an instruction about to execute (at du.k). */
static void defuse_mem_insn(uint32_t hart, uint64_t pc, uint32_t raw, uint32_t use)
{
	if (!du.mem)
		return;
	du.atomic = (raw & 0x7f) == 0x2f;
	if (!du.walked || (raw & 0xfe007fff) == 0x12000073) /* sfence.vma */
		defuse_walk_now();
	if (defuse_opaque(raw, use))
		fprintf(du.out, "o %" PRIu64 "\n", du.k);
	defuse_fetch(hart, pc, raw);
}

static void defuse_on_exec(void *ud, uint32_t hart, uint64_t pc)
{
	uint32_t use, def;

	if (hart != du.hart)
		return;
	uint64_t now = rv_machine_icount(du.m, hart);
	if (now < du.from)
		return;
	defuse_decode((uint32_t)(uintptr_t)ud, &use, &def);
	if (du.have && now == du.k) {
		/* The pending instruction did not retire (it trapped). */
		du.use |= use;
		du.def = def;
		du.pc = pc;
		du.nw = 0;
		defuse_mem_insn(hart, pc, (uint32_t)(uintptr_t)ud, use);
		return;
	}
	defuse_flush(true);
	du.have = true;
	du.k = now;
	du.use = use;
	du.def = def;
	du.pc = pc;
	defuse_mem_insn(hart, pc, (uint32_t)(uintptr_t)ud, use);
}

static void defuse_on_block(void *ud, rv_block *b)
{
	(void)ud;
	for (uint32_t i = 0; i < rv_block_insns(b); i++) {
		rv_insn *in = rv_block_insn(b, i);
		rv_insn_on_exec(du.self, in, defuse_on_exec, (void *)(uintptr_t)rv_insn_raw(in));
	}
}

static void defuse_on_exit(void *ud, int status)
{
	(void)ud;
	(void)status;
	defuse_flush(false);
	if (du.walked)
		defuse_walk_now();
	example_close_out(du.out);
}

/* "LO:HI", LO < HI. */
static bool defuse_parse_range(const char *v)
{
	char *end, *end2;

	errno = 0;
	du.mlo = strtoull(v, &end, 0);
	if (end == v || *end != ':')
		return false;
	du.mhi = strtoull(end + 1, &end2, 0);
	return end2 != end + 1 && !*end2 && !errno && du.mlo < du.mhi;
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	const char *out = NULL;

	du.self = self;
	du.m = example_machine(self, info);
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		bool ok = true;
		if (!strcmp(k, "from"))
			ok = example_parse_u64(v, &du.from);
		else if (!strcmp(k, "hart"))
			ok = example_parse_u64(v, &du.hart) && du.hart < info->nharts;
		else if (!strcmp(k, "mem"))
			ok = du.mem = defuse_parse_range(v);
		else if (!strcmp(k, "out"))
			out = v;
		else
			ok = false;
		if (!ok)
			return example_bad_arg(self, &argv[i],
					       "defuse takes out=FILE, from=ICOUNT, "
					       "hart=H and mem=LO:HI");
	}
	if (!out || !*out)
		return example_refuse(self, "defuse needs out=FILE for its trace");
	du.out = example_open_out(self, out, NULL, NULL, 0);
	if (!du.out)
		return -1;
	rv_on_block(self, defuse_on_block, NULL);
	if (du.mem) {
		rv_on_mem(self, du.mlo, du.mhi, RV_MEM_READ | RV_MEM_WRITE | RV_MEM_PHYSICAL,
			  defuse_on_mem, NULL);
		rv_on_mmio(self, defuse_on_mmio, NULL);
		rv_on_sbi(self, defuse_on_sbi, NULL);
		rv_on_satp(self, defuse_on_satp, NULL);
	}
	rv_on_exit(self, defuse_on_exit, NULL);
	return 0;
}
