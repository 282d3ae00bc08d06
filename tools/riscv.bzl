"""Building bare-metal and paravirtual RISC-V guests with Debian's
riscv64-unknown-elf-gcc (installed by tools/setup).

Every guest in the tree is built by riscv_guest(). It always puts the
public guest headers on the include path (hv/include: <retrovisor/pv.h>).
With runtime = "pv" the guest is an S-mode SBI client linked with the
paravirtual runtime of tests/rt/pv (entry points, SBI calls, console
printf, shutdown; its guest.ld unless linker_script is given), and
includes "pvrt.h"."""

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
    one is named) linked with LINKER_SCRIPT (default: the runtime's);
    HDRS are headers SRCS include; COPTS are added to the common flags."""
    rt = RUNTIMES[runtime] if runtime else struct(
        srcs = [],
        hdrs = [],
        includes = [],
        linker_script = None,
        copts = [],
    )
    ld = linker_script or rt.linker_script
    if not ld:
        fail("riscv_guest %s: no linker_script and no runtime" % name)
    objs = rt.srcs + srcs
    native.genrule(
        name = name,
        srcs = objs + rt.hdrs + hdrs + GUEST_HDRS + [ld],
        outs = [name + ".elf"],
        cmd = ("riscv64-unknown-elf-gcc " + RISCV_GUEST_CFLAGS + " " +
               " ".join(rt.copts + copts) + " " +
               " ".join(["-I" + d for d in rt.includes + GUEST_INCLUDES]) + " " +
               " ".join(["-D" + d for d in defines]) +
               " -T $(location " + ld + ") " +
               " ".join(["$(location " + s + ")" for s in objs]) + " -o $@"),
        visibility = visibility,
    )
