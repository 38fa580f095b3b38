# The checkpoint/restore profile of the FastFreeze note (see
# docker_allow_checkpoint.profile), corrected to do what its comments say:
# in /proc/sys/kernel only ns_last_pid and shm* are writable, and everything
# else is as strict as docker-default (docker-default.profile in this folder).
# It needs nothing newer than AppArmor 3.0: no priorities, deny rules only.
# docker_allow_checkpoint.spec.toml states this; `aaprove prove` proves it.
abi <abi/3.0>,

#include <tunables/global>

profile docker_allow_checkpoint flags=(attach_disconnected,mediate_deleted) {
  #include <abstractions/base>

  network,
  deny network alg,
  capability,
  file,
  umount,
  # Host (privileged) processes may send signals to container processes.
  signal (receive) peer=unconfined,
  signal (receive) peer=runc,
  signal (receive) peer=crun,
  # Container processes may send signals amongst themselves.
  signal (send,receive) peer=docker_allow_checkpoint,

  deny @{PROC}/* w,   # deny write for all files directly in /proc (not in a subdir)
  # deny write to files not in /proc/<number>/** or /proc/sys/**
  deny @{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/** w,
  deny @{PROC}/sys/[^k]** w,  # deny /proc/sys except /proc/sys/k* (effectively /proc/sys/kernel)

  # In /proc/sys/kernel, deny writes to everything but ns_last_pid and shm*.
  # A class here excludes `/`, so each alternative stays in one component.
  deny @{PROC}/sys/kernel/*/{,**} w,  # every subdirectory and all below it
  deny @{PROC}/sys/kernel/[^ns/]* w,  # names starting with neither n nor s
  deny @{PROC}/sys/kernel/{s,s[^h/]*,sh,sh[^m/]*} w,  # s* but not shm*
  # n* but not ns_last_pid: every proper prefix, each prefix followed by a
  # wrong character, and ns_last_pid followed by more.
  deny @{PROC}/sys/kernel/{n,ns,ns_,ns_l,ns_la,ns_las,ns_last,ns_last_,ns_last_p,ns_last_pi} w,
  deny @{PROC}/sys/kernel/{n[^s/],ns[^_/],ns_[^l/],ns_l[^a/],ns_la[^s/],ns_las[^t/]}* w,
  deny @{PROC}/sys/kernel/{ns_last[^_/],ns_last_[^p/],ns_last_p[^i/],ns_last_pi[^d/]}* w,
  deny @{PROC}/sys/kernel/ns_last_pid?* w,

  deny @{PROC}/sysrq-trigger rwklx,
  deny @{PROC}/kcore rwklx,

  deny mount,

  deny /sys/[^f]*/** wklx,
  deny /sys/f[^s]*/** wklx,
  deny /sys/fs/[^c]*/** wklx,
  deny /sys/fs/c[^g]*/** wklx,
  deny /sys/fs/cg[^r]*/** wklx,
  deny /sys/firmware/** rwklx,
  deny /sys/devices/virtual/powercap/** rwklx,
  deny /sys/kernel/security/** rwklx,

  # suppress ptrace denials when using 'docker ps' or using 'ps' inside a container
  ptrace (trace,read,tracedby,readby) peer=@{profile_name},
}
