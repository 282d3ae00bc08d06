# Lab 2, starter: follow one write(2) through the kernel, forwards and
# backwards. run.sh has connected gdb to the paused machine. Each TODO
# is a task of README.md; the echo lines mark the places the check reads.

# 1. Stop in ksys_write for our write only: 12 bytes starting "lab2".
break ksys_write if count == 12 && buf[0] == 'l' && buf[3] == '2'
continue
echo == AT-KSYS-WRITE\n
bt
monitor icount

# 2. TODO: print current's comm (current is in tp), then the user's a7
#    and epc from the pt_regs saved at the top of its kernel stack.
echo == TASK\n
echo == SYSCALL-NUMBER\n
echo == USER-PC\n

# 3. TODO: stop in tty_write once; backtrace; monitor icount.
echo == AT-TTY-WRITE\n

# 4. TODO: reverse-finish, reverse-continue, reverse-stepi (with monitor
#    icount after the first two and `bt 1` after the last).
echo == REVERSE-FINISH\n
echo == REVERSE-CONTINUE\n
echo == REVERSE-STEPI\n

# 5. TODO: delete the breakpoints, finish out of the system call, continue.
echo == FINISH\n
delete
continue
