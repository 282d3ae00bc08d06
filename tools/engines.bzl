# SPDX-License-Identifier: MIT
#
# Tests under both engines (issue 14: the interpreter is the JIT's oracle,
# and what passes on one must pass on the other). with_jit declares a test
# as given and, beside it, <name>_jit: the same test with the JIT chosen
# through the environment that every program built on the core reads at
# start (hv/cpu/exec.c, jit_settings_from_env), and every block translated
# on its first entry so that the translated code, not the interpreter,
# runs nearly everything.

JIT_ENV = {
    "RETROVISOR_ENGINE": "jit",
    "RETROVISOR_JIT_HOT": "0",
}

def with_jit(rule, name, jit = True, **kwargs):
    """rule(name = name, ...) and, if jit, name + "_jit" under the JIT.

    Args:
      rule: the test rule (cc_test, sh_test, ...).
      name: the interpreter's test; the JIT's is name + "_jit".
      jit: False declares the interpreter's test alone (for comprehensions
        where only some entries run under both engines).
      **kwargs: the rule's other attributes, the same for both; an env
        given here is kept and the engine's variables added to it.
    """
    rule(name = name, **kwargs)
    if not jit:
        return
    env = dict(kwargs.pop("env", {}))
    env.update(JIT_ENV)
    rule(name = name + "_jit", env = env, **kwargs)
