"""Building bare-metal and paravirtual RISC-V guests with Debian's
riscv64-unknown-elf-gcc (installed by tools/setup)."""

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

def riscv_guest(name, srcs, linker_script, defines = [], copts = [], visibility = None):
    """One guest ELF, NAME.elf, from SRCS linked with LINKER_SCRIPT;
    COPTS are added to the common flags."""
    native.genrule(
        name = name,
        srcs = srcs + [linker_script],
        outs = [name + ".elf"],
        cmd = ("riscv64-unknown-elf-gcc " + RISCV_GUEST_CFLAGS + " " +
               " ".join(copts) + " " +
               " ".join(["-D" + d for d in defines]) +
               " -T $(location " + linker_script + ") " +
               " ".join(["$(location " + s + ")" for s in srcs]) + " -o $@"),
        visibility = visibility,
    )
