//! Finding the files named by `include` directives, as `apparmor_parser`
//! does.
//!
//! A `<magic>` name is searched in each `-I` directory in order, then in
//! `/etc/apparmor.d` (when enabled); the first directory holding it wins. A
//! `"relative"` or bare name is opened relative to the working directory
//! (the base directory of [`ResolveOptions`](super::ResolveOptions)), not to
//! the including file. A directory is included as its regular files in
//! sorted order, skipping dotfiles, `README` and packaging leftovers.

use std::path::{Path, PathBuf};

/// The system directory searched after the `-I` directories.
pub const SYSTEM_DIR: &str = "/etc/apparmor.d";

/// Name endings of packaging and editor leftovers that a directory include
/// skips, as libapparmor's list.
pub const IGNORED_SUFFIXES: [&str; 12] = [
    ".dpkg-new",
    ".dpkg-old",
    ".dpkg-dist",
    ".dpkg-bak",
    ".dpkg-remove",
    ".pacsave",
    ".pacnew",
    ".rpmnew",
    ".rpmsave",
    ".orig",
    ".rej",
    "~",
];

/// True when a directory entry named `name` is skipped by a directory include.
pub fn is_ignored_entry(name: &str) -> bool {
    name.is_empty()
        || name.starts_with('.')
        || name == "README"
        || IGNORED_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// The directories a `<magic>` include searches, in order.
pub fn search_dirs(include_dirs: &[PathBuf], use_system_dir: bool) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = include_dirs.to_vec();
    if use_system_dir {
        dirs.push(PathBuf::from(SYSTEM_DIR));
    }
    dirs
}

/// Where an include name points: the first existing candidate, or every
/// candidate tried when none exists (for the error message).
pub enum Located {
    Found(PathBuf),
    Missing(Vec<PathBuf>),
}

/// Finds the file or directory of an include.
pub fn locate(name: &str, magic: bool, dirs: &[PathBuf], base_dir: Option<&Path>) -> Located {
    let candidates: Vec<PathBuf> = if magic {
        dirs.iter()
            .map(|dir| PathBuf::from(format!("{}/{}", dir.display(), name)))
            .collect()
    } else if Path::new(name).is_absolute() {
        vec![PathBuf::from(name)]
    } else {
        vec![base_dir.map_or_else(|| PathBuf::from(name), |base| base.join(name))]
    };
    for candidate in &candidates {
        log::debug!("include search: trying {}", candidate.display());
        if candidate.exists() {
            return Located::Found(candidate.clone());
        }
    }
    Located::Missing(candidates)
}

/// The regular files a directory include reads, sorted by name.
pub fn directory_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !is_ignored_entry(name))
        .collect();
    names.sort();
    Ok(names.into_iter().map(|name| dir.join(name)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_entries_follow_libapparmor() {
        let cases = [
            ("base", false),
            (".hidden", true),
            ("README", true),
            ("x.dpkg-new", true),
            ("x.dpkg-new.include", false),
            ("x.rpmsave", true),
            ("x~", true),
            ("x.orig", true),
        ];
        for (name, ignored) in cases {
            assert_eq!(is_ignored_entry(name), ignored, "{name}");
        }
    }

    #[test]
    fn system_dir_comes_last() {
        let dirs = search_dirs(&[PathBuf::from("/a"), PathBuf::from("/b")], true);
        let expected: Vec<PathBuf> = ["/a", "/b", SYSTEM_DIR].iter().map(PathBuf::from).collect();
        assert_eq!(dirs, expected);
    }
}
