# SPDX-License-Identifier: MIT
#
# Tests under both engines (issue 14: the interpreter is the JIT's oracle,
# and what passes on one must pass on the other). Every test runs on the
# default engine, the JIT on x86-64 hosts, which translates a block on its
# third entry. with_jit declares a test as given and, beside it, two more
# with the engine chosen through the environment that every program built
# on the core reads at start (hv/cpu/exec.c, jit_settings_from_env):
# <name>_jit, every block translated on its first entry so that translated
# code, not the interpreter, runs nearly everything (short test programs
# would otherwise run mostly interpreted); and <name>_interp, the
# interpreter alone.

JIT_ENV = {
    "RETROVISOR_ENGINE": "jit",
    "RETROVISOR_JIT_HOT": "0",
}

INTERP_ENV = {
    "RETROVISOR_ENGINE": "interp",
}

def with_jit(rule, name, jit = True, **kwargs):
    """rule(name = name, ...) and, if jit, name + "_jit" and name + "_interp".

    Args:
      rule: the test rule (cc_test, sh_test, ...).
      name: the test on the default engine; the variants are name + "_jit"
        and name + "_interp".
      jit: False declares the default engine's test alone (for
        comprehensions where only some entries run under every engine);
        "interp" adds name + "_interp" alone (the Linux tests: the
        default engine is the JIT already, and a copy with every block
        translated at once would only repeat it more slowly).
      **kwargs: the rule's other attributes, the same for all; an env
        given here is kept and the engine's variables added to it.
    """
    rule(name = name, **kwargs)
    if not jit:
        return
    base = dict(kwargs.pop("env", {}))
    variants = (("_jit", JIT_ENV), ("_interp", INTERP_ENV))
    if jit == "interp":
        variants = (("_interp", INTERP_ENV),)
    for suffix, engine in variants:
        env = dict(base)
        env.update(engine)
        rule(name = name + suffix, env = env, **kwargs)
