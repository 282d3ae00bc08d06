"""Building bare-metal and paravirtual RISC-V guests with Debian's
riscv64-unknown-elf-gcc (installed by tools/setup).

Every guest in the tree is built by riscv_guest(). It always puts the
public guest headers on the include path (hv/include: <retrovisor/pv.h>).
A runtime, one per privilege mode a guest boots in, brings its sources
and its linker script (unless linker_script is given):
  runtime = "pv"    S-mode SBI client, tests/rt/pv (entry points, SBI
                    calls, console printf, bounded waits, shutdown);
                    the guest includes "pvrt.h".
  runtime = "bare"  M-mode, tests/rt/bare (UART console, syscon power-off,
                    trap framework, mode switches); the guest defines
                    RT_GUEST_NAME and includes "rt.h".
Guests whose point is their own entry code (tests/plugins/guest.S,
tests/stops, tests/determinism, demo) name no runtime and give srcs and
linker_script; programs that are not booted by a machine (the fake kernel
of tests/introspect, the Linux program of tests/misalign) give neither
and place themselves with -Wl options."""

RISCV_GUEST_CFLAGS = " ".join([
    "-march=rv64gc",
    "-mabi=lp64d",
    "-mcmodel=medany",
    "-O2",
    "-ffreestanding",
    "-nostdlib",
    "-nostartfiles",
    "-Wall",
    "-Werror",
    "-Wl,--no-warn-rwx-segments",
])

# Public headers a guest may include, and the directory that holds them.
GUEST_HDRS = ["//hv/include:retrovisor/pv.h"]
GUEST_INCLUDES = ["hv/include"]

# The runtimes, one per privilege mode a guest boots in.
RUNTIMES = {
    # S-mode, entered by an SBI implementation (Retrovisor's paravirtual
    # boot or OpenSBI) at 0x8020_0000 with a0 = hartid, a1 = dtb.
    "pv": struct(
        srcs = [
            "//tests/rt/pv:start.S",
            "//tests/rt/pv:pvrt.c",
        ],
        hdrs = ["//tests/rt/pv:pvrt.h"],
        includes = ["tests/rt/pv"],
        linker_script = "//tests/rt/pv:guest.ld",
        copts = [
            "-fno-builtin",
            "-Wextra",
        ],
    ),
    # M-mode, entered at 0x8000_0000 by `--bios none` (QEMU -bios none)
    # with a0 = hartid, a1 = dtb: console on the NS16550A, power-off
    # through the syscon, the trap framework, S/U-mode switching. A guest
    # defines RT_GUEST_NAME (the prefix of its output lines).
    "bare": struct(
        srcs = [
            "//tests/rt/bare:start.S",
            "//tests/rt/bare:rt.c",
        ],
        hdrs = ["//tests/rt/bare:rt.h"],
        includes = ["tests/rt/bare"],
        linker_script = "//tests/rt/bare:link.ld",
        copts = [
            # No linker relaxation: gp-relative addressing would break
            # code that runs through the paging guest's alias mappings.
            "-mno-relax",
            "-fno-builtin",
            "-Wextra",
            "-Wl,--build-id=none",
        ],
    ),
}

def riscv_guest(
        name,
        srcs,
        linker_script = None,
        runtime = None,
        hdrs = [],
        defines = [],
        copts = [],
        visibility = None):
    """One guest ELF, NAME.elf, from SRCS (and the RUNTIME's sources, if
    one is named) linked with LINKER_SCRIPT (default: the runtime's; with
    neither, the toolchain's default link, placed by -Wl options in
    COPTS); HDRS are headers SRCS include; COPTS come after the common
    flags (a later -O0 or -mcmodel wins)."""
    rt = RUNTIMES[runtime] if runtime else struct(
        srcs = [],
        hdrs = [],
        includes = [],
        linker_script = None,
        copts = [],
    )
    ld = linker_script or rt.linker_script
    objs = rt.srcs + srcs
    native.genrule(
        name = name,
        srcs = objs + rt.hdrs + hdrs + GUEST_HDRS + ([ld] if ld else []),
        outs = [name + ".elf"],
        cmd = ("riscv64-unknown-elf-gcc " + RISCV_GUEST_CFLAGS + " " +
               " ".join(rt.copts + copts) + " " +
               " ".join(["-I" + d for d in rt.includes + GUEST_INCLUDES]) + " " +
               " ".join(["-D" + d for d in defines]) +
               (" -T $(location " + ld + ") " if ld else " ") +
               " ".join(["$(location " + s + ")" for s in objs]) + " -o $@"),
        visibility = visibility,
    )
