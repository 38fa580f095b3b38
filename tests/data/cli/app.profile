# A small profile with one finding of each kind the stand-in can show.
profile app /usr/bin/app {
  /usr/bin/app mr,
	/usr/bin/helper ux,
  /** rw,
  deny /proc/kcore w,
  deny /proc/sysrq-trigger w,
  deny /sys/kernel/security/** w,
}
