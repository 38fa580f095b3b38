//! The name tables of the language: capabilities, network families and
//! socket types, signals, rlimits, profile flags and the access words of
//! each rule kind. Kept as data in one place, with tests that catch typos
//! and duplicates.

/// Capability names, as `capability NAME` spells them.
pub const CAPABILITIES: [&str; 41] = [
    "audit_control",
    "audit_read",
    "audit_write",
    "block_suspend",
    "bpf",
    "checkpoint_restore",
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "ipc_lock",
    "ipc_owner",
    "kill",
    "lease",
    "linux_immutable",
    "mac_admin",
    "mac_override",
    "mknod",
    "net_admin",
    "net_bind_service",
    "net_broadcast",
    "net_raw",
    "perfmon",
    "setfcap",
    "setgid",
    "setpcap",
    "setuid",
    "syslog",
    "sys_admin",
    "sys_boot",
    "sys_chroot",
    "sys_module",
    "sys_nice",
    "sys_pacct",
    "sys_ptrace",
    "sys_rawio",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "wake_alarm",
];

/// Address family names accepted by `network FAMILY` (Linux `AF_*`).
pub const NETWORK_FAMILIES: [&str; 45] = [
    "unspec",
    "unix",
    "inet",
    "ax25",
    "ipx",
    "appletalk",
    "netrom",
    "bridge",
    "atmpvc",
    "x25",
    "inet6",
    "rose",
    "netbeui",
    "security",
    "key",
    "netlink",
    "packet",
    "ash",
    "econet",
    "atmsvc",
    "rds",
    "sna",
    "irda",
    "pppox",
    "wanpipe",
    "llc",
    "ib",
    "mpls",
    "can",
    "tipc",
    "bluetooth",
    "iucv",
    "rxrpc",
    "isdn",
    "phonet",
    "ieee802154",
    "caif",
    "alg",
    "nfc",
    "vsock",
    "kcm",
    "qipcrtr",
    "smc",
    "xdp",
    "mctp",
];

/// Socket type names (`network inet stream`).
pub const SOCKET_TYPES: [&str; 7] = [
    "stream",
    "dgram",
    "raw",
    "rdm",
    "seqpacket",
    "dccp",
    "packet",
];

/// Protocol names accepted where a type is expected (`network inet tcp`).
pub const NETWORK_PROTOCOLS: [&str; 3] = ["tcp", "udp", "icmp"];

/// Signal names of `signal set=(...)`; `rtmin+N` is accepted separately.
pub const SIGNALS: [&str; 35] = [
    "hup", "int", "quit", "ill", "trap", "abrt", "bus", "fpe", "kill", "usr1", "segv", "usr2",
    "pipe", "alrm", "term", "stkflt", "chld", "cont", "stop", "stp", "tstp", "ttin", "ttou", "urg",
    "xcpu", "xfsz", "vtalrm", "prof", "winch", "io", "poll", "pwr", "sys", "emt", "exists",
];

/// The highest N of `rtmin+N`.
pub const MAX_RTMIN_OFFSET: u32 = 32;

/// How an rlimit's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RlimitUnit {
    /// A count without unit (`nofile`, `nproc`, ...).
    Count,
    /// A size, with an optional `K`/`KB`/`M`/`MB`/`G`/`GB` unit.
    Size,
    /// A nice value from -20 to 19.
    Nice,
    /// `cpu`: seconds, with optional time units.
    CpuTime,
    /// `rttime`: microseconds, with optional time units.
    RealTime,
}

/// rlimit names and the kind of their values.
pub const RLIMITS: [(&str, RlimitUnit); 16] = [
    ("cpu", RlimitUnit::CpuTime),
    ("fsize", RlimitUnit::Size),
    ("data", RlimitUnit::Size),
    ("stack", RlimitUnit::Size),
    ("core", RlimitUnit::Size),
    ("rss", RlimitUnit::Size),
    ("nofile", RlimitUnit::Count),
    ("ofile", RlimitUnit::Count),
    ("as", RlimitUnit::Size),
    ("nproc", RlimitUnit::Count),
    ("memlock", RlimitUnit::Size),
    ("locks", RlimitUnit::Count),
    ("sigpending", RlimitUnit::Count),
    ("msgqueue", RlimitUnit::Size),
    ("nice", RlimitUnit::Nice),
    ("rtprio", RlimitUnit::Count),
];

/// `rttime` is separate because upstream lists it after `rtprio`.
pub const RLIMIT_RTTIME: &str = "rttime";

/// Profile modes of `flags=(...)`; at most one may be given.
pub const PROFILE_MODES: [&str; 6] = [
    "enforce",
    "complain",
    "kill",
    "unconfined",
    "prompt",
    "default_allow",
];

/// Other profile flags without a value.
pub const PROFILE_FLAGS: [&str; 12] = [
    "debug",
    "audit",
    "chroot_relative",
    "namespace_relative",
    "mediate_deleted",
    "delegate_deleted",
    "attach_disconnected",
    "no_attach_disconnected",
    "chroot_attach",
    "chroot_no_attach",
    "interruptible",
    "attach_disconnected.ipc",
];

/// Pairs of profile flags that exclude each other.
pub const CONFLICTING_FLAGS: [(&str, &str); 5] = [
    ("chroot_relative", "namespace_relative"),
    ("mediate_deleted", "delegate_deleted"),
    ("attach_disconnected", "no_attach_disconnected"),
    ("attach_disconnected.ipc", "no_attach_disconnected"),
    ("chroot_attach", "chroot_no_attach"),
];

/// Linux errno names accepted by the `error=` profile flag (compared
/// without regard to case, as upstream).
pub const ERRNO_NAMES: [&str; 134] = [
    "EPERM",
    "ENOENT",
    "ESRCH",
    "EINTR",
    "EIO",
    "ENXIO",
    "E2BIG",
    "ENOEXEC",
    "EBADF",
    "ECHILD",
    "EAGAIN",
    "ENOMEM",
    "EACCES",
    "EFAULT",
    "ENOTBLK",
    "EBUSY",
    "EEXIST",
    "EXDEV",
    "ENODEV",
    "ENOTDIR",
    "EISDIR",
    "EINVAL",
    "ENFILE",
    "EMFILE",
    "ENOTTY",
    "ETXTBSY",
    "EFBIG",
    "ENOSPC",
    "ESPIPE",
    "EROFS",
    "EMLINK",
    "EPIPE",
    "EDOM",
    "ERANGE",
    "EDEADLK",
    "ENAMETOOLONG",
    "ENOLCK",
    "ENOSYS",
    "ENOTEMPTY",
    "ELOOP",
    "EWOULDBLOCK",
    "ENOMSG",
    "EIDRM",
    "ECHRNG",
    "EL2NSYNC",
    "EL3HLT",
    "EL3RST",
    "ELNRNG",
    "EUNATCH",
    "ENOCSI",
    "EL2HLT",
    "EBADE",
    "EBADR",
    "EXFULL",
    "ENOANO",
    "EBADRQC",
    "EBADSLT",
    "EDEADLOCK",
    "EBFONT",
    "ENOSTR",
    "ENODATA",
    "ETIME",
    "ENOSR",
    "ENONET",
    "ENOPKG",
    "EREMOTE",
    "ENOLINK",
    "EADV",
    "ESRMNT",
    "ECOMM",
    "EPROTO",
    "EMULTIHOP",
    "EDOTDOT",
    "EBADMSG",
    "EOVERFLOW",
    "ENOTUNIQ",
    "EBADFD",
    "EREMCHG",
    "ELIBACC",
    "ELIBBAD",
    "ELIBSCN",
    "ELIBMAX",
    "ELIBEXEC",
    "EILSEQ",
    "ERESTART",
    "ESTRPIPE",
    "EUSERS",
    "ENOTSOCK",
    "EDESTADDRREQ",
    "EMSGSIZE",
    "EPROTOTYPE",
    "ENOPROTOOPT",
    "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT",
    "EOPNOTSUPP",
    "ENOTSUP",
    "EPFNOSUPPORT",
    "EAFNOSUPPORT",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "ENETDOWN",
    "ENETUNREACH",
    "ENETRESET",
    "ECONNABORTED",
    "ECONNRESET",
    "ENOBUFS",
    "EISCONN",
    "ENOTCONN",
    "ESHUTDOWN",
    "ETOOMANYREFS",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "EHOSTDOWN",
    "EHOSTUNREACH",
    "EALREADY",
    "EINPROGRESS",
    "ESTALE",
    "EUCLEAN",
    "ENOTNAM",
    "ENAVAIL",
    "EISNAM",
    "EREMOTEIO",
    "EDQUOT",
    "ENOMEDIUM",
    "EMEDIUMTYPE",
    "ECANCELED",
    "ENOKEY",
    "EKEYEXPIRED",
    "EKEYREVOKED",
    "EKEYREJECTED",
    "EOWNERDEAD",
    "ENOTRECOVERABLE",
    "ERFKILL",
    "EHWPOISON",
];

/// Access words of each keyed rule kind, after `read`/`write`/`r`/`w`
/// are mapped to their meaning.
pub fn access_words(kind: &str) -> &'static [&'static str] {
    match kind {
        "network" | "unix" => &[
            "create", "bind", "listen", "accept", "connect", "shutdown", "getattr", "setattr",
            "getopt", "setopt", "send", "receive", "r", "w", "rw", "wr", "read", "write",
        ],
        "dbus" => &[
            "send",
            "receive",
            "bind",
            "eavesdrop",
            "r",
            "w",
            "rw",
            "wr",
            "read",
            "write",
        ],
        "signal" => &["send", "receive", "r", "w", "rw", "wr", "read", "write"],
        "ptrace" => &[
            "trace", "read", "tracedby", "readby", "r", "w", "rw", "wr", "write",
        ],
        "userns" => &["create"],
        "mqueue" => &[
            "create", "open", "delete", "getattr", "setattr", "read", "write", "r", "w", "rw", "wr",
        ],
        "io_uring" => &["override_creds", "sqpoll"],
        _ => &[],
    }
}

/// The conditions of the rule kinds checked with one list of keys:
/// signal, ptrace, mqueue, io_uring and userns. network, unix, dbus and
/// mount rules check their conditions in their own modules of
/// `validate`, each the one place that lists them.
pub fn condition_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "signal" => &["set", "peer"],
        "ptrace" => &["peer"],
        "mqueue" => &["type", "label"],
        "io_uring" => &["label"],
        _ => &[],
    }
}

pub fn is_capability(name: &str) -> bool {
    CAPABILITIES.contains(&name)
}

/// Whether `name` is a signal as upstream's `find_signal_mapping` reads
/// it: a name of [`SIGNALS`], or `rtmin+` followed by what C's `strtoul`
/// reads as at most [`MAX_RTMIN_OFFSET`] (so `rtmin+`, `rtmin+5x` and
/// `rtmin+-0` count, as upstream accepts them).
pub fn is_signal(name: &str) -> bool {
    if SIGNALS.contains(&name) {
        return true;
    }
    name.strip_prefix("rtmin+")
        .is_some_and(|n| strtoul_prefix(n) <= u64::from(MAX_RTMIN_OFFSET))
}

/// The value C's `strtoul(text, &end, 10)` returns: leading white space
/// and one sign are skipped, then as many digits as there are (none gives
/// 0); a `-` negates in unsigned arithmetic and overflow saturates.
pub fn strtoul_prefix(text: &str) -> u64 {
    let text = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: u64 = 0;
    for digit in digits.bytes().take_while(u8::is_ascii_digit) {
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit - b'0')))
        {
            Some(next) => value = next,
            None => return u64::MAX,
        }
    }
    if negative {
        value.wrapping_neg()
    } else {
        value
    }
}

pub fn rlimit_unit(name: &str) -> Option<RlimitUnit> {
    if name == RLIMIT_RTTIME {
        return Some(RlimitUnit::RealTime);
    }
    RLIMITS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, unit)| *unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn assert_unique(names: &[&str]) {
        let set: HashSet<_> = names.iter().collect();
        assert_eq!(set.len(), names.len(), "duplicate in {names:?}");
        for name in names {
            assert!(
                !name.is_empty() && name.chars().all(|c| !c.is_uppercase()),
                "{name}"
            );
        }
    }

    #[test]
    fn tables_have_no_duplicates() {
        assert_unique(&CAPABILITIES);
        assert_unique(&NETWORK_FAMILIES);
        assert_unique(&SOCKET_TYPES);
        assert_unique(&SIGNALS);
        assert_unique(&PROFILE_MODES);
        assert_unique(&PROFILE_FLAGS);
        let errnos: HashSet<_> = ERRNO_NAMES.iter().collect();
        assert_eq!(errnos.len(), ERRNO_NAMES.len());
        let rlimits: Vec<&str> = RLIMITS.iter().map(|(n, _)| *n).collect();
        assert_unique(&rlimits);
    }

    #[test]
    fn lookups() {
        let cases = [
            (is_capability("sys_admin"), true),
            (is_capability("sys_admins"), false),
            (is_signal("rtmin+32"), true),
            (is_signal("rtmin+33"), false),
            (is_signal("rtmin+"), true),
            (is_signal("rtmin+5x"), true),
            (is_signal("rtmin+-0"), true),
            (is_signal("rtmin+-1"), false),
            (is_signal("rtmin+99999999999999999999999"), false),
            (is_signal("hup"), true),
            (is_signal("HUP"), false),
            (rlimit_unit("nice") == Some(RlimitUnit::Nice), true),
            (rlimit_unit("rttime") == Some(RlimitUnit::RealTime), true),
            (rlimit_unit("bogus").is_none(), true),
        ];
        for (index, (got, expected)) in cases.into_iter().enumerate() {
            assert_eq!(got, expected, "case {index}");
        }
    }
}
