profile p {
  include <abstractions/does-not-exist>
  /proc/sys/kernel/* w,
  deny /proc/sys/kernel/osrelease w,
}
