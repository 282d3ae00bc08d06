# SPDX-License-Identifier: MIT
"""Campaign kinds for faultinj.so's further fault classes (issue 16, item 4):
experiments/campaign --kind KIND draws them here, seeded like reg and mem.

  regmulti  --multi K distinct bits (default 2) of one register flipped at
            once (mask=): a multi-bit upset;
  memmulti  K distinct bits of one byte of --mem-range flipped at once;
  stuck     one register bit stuck at 0 or 1 (drawn) for --stuck-len
            instructions from the injection point (until=, stuck=);
  skip      the instruction at the injection point is not executed;
  irqdelay  the next pending interrupt --irq (default 5, the supervisor
            timer) from the injection point is taken --irq-delay
            instructions late;
  irqdrop   that interrupt is never taken (masked until its source
            withdraws it);
  blklost, blktorn, blkmisdirect
            write request N (0..--blk-max-1, counted per device) succeeds
            but writes nothing / only its first 0..3 sectors / at a sector
            drawn from 0..--blk-sectors-1;
  blkrot    read request N succeeds with one bit of its data flipped.

Each is one faultinj.so argument list; the plugin's changes are recorded
inputs, so each run replays without the plugin (a failed block request
is --kind blk). A block fault's CSV icount is the snapshot's.
"""

BLK = {"blklost": "lost", "blktorn": "torn", "blkmisdirect": "misdirect", "blkrot": "rot"}
KINDS = ("regmulti", "memmulti", "stuck", "skip", "irqdelay", "irqdrop") + tuple(BLK)


def add_arguments(ap):
    ap.add_argument("--multi", type=int, default=2, metavar="K",
                    help="--kind regmulti/memmulti: bits flipped at once (default %(default)s)")
    ap.add_argument("--stuck-len", type=int, default=1000, metavar="N",
                    help="--kind stuck: instructions the bit stays stuck (default %(default)s)")
    ap.add_argument("--irq", type=int, default=5, choices=(1, 5, 9),
                    help="--kind irqdelay/irqdrop: mip bit (1 SSIP, 5 STIP, 9 SEIP)")
    ap.add_argument("--irq-delay", type=int, default=100000, metavar="N",
                    help="--kind irqdelay: instructions (default %(default)s)")
    ap.add_argument("--blk-sectors", type=int, default=2048, metavar="N",
                    help="--kind blkmisdirect: target sectors 0..N-1 (default %(default)s)")


def check(args):
    """A sentence saying what is wrong with the kind's options, or None."""
    width = 8 if args.kind == "memmulti" else 64
    if args.kind in ("regmulti", "memmulti") and not 2 <= args.multi <= width:
        return "--multi wants 2..%d bits for --kind %s" % (width, args.kind)
    if args.stuck_len < 1 or args.irq_delay < 1 or args.blk_sectors < 1:
        return "--stuck-len, --irq-delay and --blk-sectors must be at least 1"
    return None


def draw_one(args, rng, lo_ic, hi_ic, mem):
    """(key, label, plugin arguments, at) of one fault of args.kind (the
    campaign adds the hart on a machine of several)."""
    if args.kind in BLK:
        return _draw_blk(args, rng) + (lo_ic,)
    at = rng.randrange(lo_ic, hi_ic)
    return _draw(args, rng, at, mem) + (at,)


def _draw_blk(args, rng):
    nth, mode = rng.randrange(args.blk_max), BLK[args.kind]
    arg = {"lost": None, "torn": rng.randrange(4), "rot": rng.randrange(1 << 20),
           "misdirect": rng.randrange(args.blk_sectors)}[mode]
    what = mode if arg is None else "%s=%d" % (mode, arg)
    return (nth, arg), "blk=%d,%s" % (nth, what), "blk=%d,%s" % (nth, what)


def _draw(args, rng, at, mem):
    k = args.kind
    if k in ("regmulti", "memmulti"):
        width = 64 if k == "regmulti" else 8
        bits = sorted(rng.sample(range(width), args.multi))
        mask = sum(1 << b for b in bits)
        if k == "regmulti":
            reg = rng.randint(1, 31)
            return ((at, reg, mask), "reg=x%d,mask=0x%x" % (reg, mask),
                    "at=%d,reg=%d,mask=0x%x" % (at, reg, mask))
        addr = rng.randrange(*mem)
        return ((at, addr, mask), "mem=0x%x,mask=0x%x" % (addr, mask),
                "at=%d,mem=0x%x,mask=0x%x" % (at, addr, mask))
    if k == "stuck":
        reg, bit, val = rng.randint(1, 31), rng.randint(0, 63), rng.randint(0, 1)
        return ((at, reg, bit, val), "reg=x%d,bit=%d,stuck=%d" % (reg, bit, val),
                "at=%d,until=%d,reg=%d,bit=%d,stuck=%d" % (at, at + args.stuck_len, reg, bit,
                                                           val))
    if k == "skip":
        return (at,), "skip", "at=%d,skip" % at
    if k == "irqdelay":
        return ((at,), "irq=%d,delay=%d" % (args.irq, args.irq_delay),
                "at=%d,irq=%d,delay=%d" % (at, args.irq, args.irq_delay))
    return (at,), "irq=%d,drop" % args.irq, "at=%d,irq=%d,drop" % (at, args.irq)


def space(args, lo_ic, hi_ic, mem):
    """How many distinct faults of args.kind exist (at least)."""
    n = hi_ic - lo_ic
    if args.kind in BLK:
        return args.blk_max * {"blklost": 1, "blktorn": 4, "blkrot": 1 << 20,
                               "blkmisdirect": args.blk_sectors}[args.kind]
    if args.kind == "regmulti":
        return n * 31 * 2016  # two bits of 64 at the least
    if args.kind == "memmulti":
        return n * (mem[1] - mem[0]) * 28
    if args.kind == "stuck":
        return n * 31 * 64 * 2
    return n
