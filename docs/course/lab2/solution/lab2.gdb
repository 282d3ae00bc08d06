# Lab 2, solution: follow one write(2) through the kernel, forwards and
# backwards. run.sh has connected gdb to the paused machine.

# 1. Stop in ksys_write for our write only: 12 bytes starting "lab2".
#    (buf is a user pointer; the stub reads it through the hart's page
#    tables, which map user memory while the kernel serves the call.)
break ksys_write if count == 12 && buf[0] == 'l' && buf[3] == '2'
continue
echo == AT-KSYS-WRITE\n
bt
monitor icount

# 2. Who is calling, with what: current is in tp while in the kernel; the
#    user registers saved at the trap are the pt_regs at the top of its
#    kernel stack (THREAD_SIZE 16 KiB on rv64).
echo == TASK\n
p ((struct task_struct *)$tp)->comm
echo == SYSCALL-NUMBER\n
p/d ((struct pt_regs *)((char *)((struct task_struct *)$tp)->stack + 16384) - 1)->a7
echo == USER-PC\n
p/x ((struct pt_regs *)((char *)((struct task_struct *)$tp)->stack + 16384) - 1)->epc

# 3. Down to the tty driver.
tbreak tty_write
continue
echo == AT-TTY-WRITE\n
bt
monitor icount

# 4. Backwards: out of tty_write to its caller, then back to where the
#    breakpoint in ksys_write was hit, then one instruction before it.
echo == REVERSE-FINISH\n
reverse-finish
monitor icount
echo == REVERSE-CONTINUE\n
reverse-continue
monitor icount
echo == REVERSE-STEPI\n
reverse-stepi
bt 1

# 5. Forwards again, over the whole call: what does write() return?
#    __do_sys_write is inlined in __se_sys_write: the first finish leaves
#    the inlined frame, the second returns to the entry code with a value.
delete
echo == FINISH\n
finish
finish
continue
